"""The web server's JSON API, live events, token and origin rules and pages, each checked
against a real server on loopback and the session's real Redis (the facts in Redis too)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import redis

from monitor.config import SourceConfig
from monitor.errors import ConfigError
from monitor.sources import registry as sources
from monitor.store import Store
from monitor.web import build, check_binding, serving
from tests.feeds import rss
from tests.httpserver import LocalHTTPServer, free_port
from tests.test_client import alert, put
from tests.test_e2e import LogLines, Newsmon
from tests.webserver import call
from tests.webserver import config as make_config

SCRIPT = "<script>alert(1)</script>"
HUGE = "99999999999999999999-0"  # fits the id pattern; Redis refuses it (above 2**64-1)
WAIT = 5.0  # seconds one line of an event stream may take before the test fails


def members(redis_url: str, key: str) -> set[str]:
    """The names in a hash, set or sorted set (an absent key: none)."""
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        kind = client.type(key)
        if kind == "hash":
            return set(client.hkeys(key))
        return set(client.smembers(key)) if kind == "set" else set(client.zrange(key, 0, -1))


def put_all(redis_url: str, prefix: str, alerts: list[dict[str, Any]]) -> list[str]:
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        pipe = client.pipeline(transaction=False)
        for a in alerts:
            pipe.xadd(f"{prefix}:stream", {"alert": json.dumps(a)})
        return [str(eid) for eid in pipe.execute()]


def typed(n: int, kind: str, source: str = "wire", term: str | None = None) -> dict[str, Any]:
    made: dict[str, Any] = {**alert(n, source, term), "type": kind}
    if kind != "item.new":
        made["block"] = {"id": f"b{n}", "headline": f"Block {n}", "text": "Text.",
                         "published": None}  # fmt: skip
    if kind == "block.edited":
        made["edit"] = {"added": ["new"], "removed": ["old"], "numbers_changed": False}
    return made


def stream_ids(answer: dict[str, Any]) -> list[str]:
    return [a["stream_id"] for a in answer["alerts"]]


async def test_alert_pages(site: str, redis_url: str, prefix: str) -> None:
    """Newest first; paging on `next` neither overlaps nor misses; `next` null at the end."""
    ids = put_all(redis_url, prefix, [alert(n) for n in range(12)])
    status, first = await call("GET", site + "api/alerts?limit=5")
    assert status == 200 and stream_ids(first) == ids[::-1][:5] and first["next"] == ids[7]
    assert [a["alert"]["item"]["title"] for a in first["alerts"]][:2] == ["Item 11", "Item 10"]
    pages, after = [stream_ids(first)], first["next"]
    while after is not None:
        _, page = await call("GET", site + f"api/alerts?limit=5&before={after}")
        pages.append(stream_ids(page))
        after = page["next"]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [eid for page in pages for eid in page] == ids[::-1]  # every one once, in order
    _, everything = await call("GET", site + "api/alerts")  # limit 50 by default
    assert stream_ids(everything) == ids[::-1] and everything["next"] is None
    status, one = await call("GET", site + f"api/alerts/{ids[3]}")
    assert (status, one) == (200, {"stream_id": ids[3], "alert": alert(3)})
    status, missing = await call("GET", site + "api/alerts/1-999")
    assert status == 404 and "1-999" in missing["error"]
    status, bad = await call("GET", site + "api/alerts/latest")
    assert (status, bad["field"]) == (400, "stream_id")


async def test_alert_filters(site: str, redis_url: str, prefix: str) -> None:
    ids = put_all(redis_url, prefix, [
        typed(0, "item.new", "wire", "sanctions"), typed(1, "block.new", "bbc", "sanctions"),
        typed(2, "block.edited", "bbc", "troops"), typed(3, "block.removed", "wire"),
        typed(4, "item.new", "ap", "troops")])  # fmt: skip

    async def picked(query: str) -> list[int]:
        status, body = await call("GET", site + f"api/alerts?{query}")
        assert status == 200, body
        return [ids.index(eid) for eid in stream_ids(body)]

    assert await picked("term=sanctions") == [1, 0]
    assert await picked("term=sanctions&term=troops") == [4, 2, 1, 0]
    assert await picked("term=sanctions,troops&source=bbc") == [2, 1]
    assert await picked("source=wire") == [3, 0]
    assert await picked("source=wire,ap") == [4, 3, 0]
    assert await picked("type=block.new&type=block.removed") == [3, 1]
    assert await picked("type=block.edited,item.new&source=bbc") == [2]
    assert await picked("term=nothing") == []


@pytest.mark.parametrize(("query", "field"), [
    ("limit=0", "limit"), ("limit=abc", "limit"), ("limit=501", "limit"),
    ("before=yesterday", "before"), ("type=bogus", "type"),
    ("type=item.new,bogus", "type")])  # fmt: skip
async def test_a_bad_alerts_request_names_its_field(site: str, query: str, field: str) -> None:
    status, body = await call("GET", site + f"api/alerts?{query}")
    assert status == 400 and body["field"] == field and body["error"], body


@pytest.mark.parametrize("bad", [HUGE, "5-0\n", "0-0"])
async def test_an_id_redis_refuses_is_no_500(
    site: str, redis_url: str, prefix: str, bad: str
) -> None:
    """Ids that pass the id pattern but Redis refuses (a part above 2**64-1, a final newline
    that `$` lets through, "before" 0-0 that nothing precedes) are the client's: 400 or 404,
    or for 0-0 an empty page; never a 500."""
    put(redis_url, prefix, alert(1))
    for path in (f"api/alerts?before={quote(bad)}", f"api/alerts/{quote(bad)}",
                 f"alerts/{quote(bad)}"):  # fmt: skip
        status, body = await call("GET", site + path)
        assert status in (400, 404) or (status == 200 and body["alerts"] == []), (path, body)


async def test_a_rare_match_past_the_scan_window(site: str, redis_url: str, prefix: str) -> None:
    """docs/api.md: one request reads at most 5,000 entries, "so a very selective filter may
    answer fewer than `limit` with a `next` to go on from": paging must reach the match."""
    (match,) = put_all(redis_url, prefix, [alert(0, term="rare")])
    put_all(redis_url, prefix, [alert(n) for n in range(1, 5101)])
    found: list[str] = []
    after: str | None = None
    for _ in range(5):  # a few pages are plenty for 5,101 entries
        query = "api/alerts?term=rare&limit=10" + (f"&before={after}" if after else "")
        status, body = await call("GET", site + query)
        assert status == 200
        found, after = found + stream_ids(body), body["next"]
        if after is None:
            break
    assert found == [match]


async def test_keywords(site: str, redis_url: str, prefix: str) -> None:
    api, stored = site + "api/keywords", f"{prefix}:keywords"
    for body, field in [({"name": "two words", "query": "a"}, "name"), ({"query": "a"}, "name"),
                        ({"name": "k", "query": "a", "language": "klingon"}, "language"),
                        ({"name": "k"}, "query")]:  # fmt: skip
        status, answer = await call("POST", api, json=body)
        assert (status, answer["field"]) == (400, field), answer
    status, answer = await call("POST", api, json={"name": "k", "query": "sanctions AND"})
    assert (status, answer["field"], answer["column"]) == (400, "query", 11)
    assert "AND" in answer["error"]
    for raw in ("{not json", "[1, 2]", '"text"'):
        headers = {"Content-Type": "application/json"}
        status, answer = await call("POST", api, data=raw, headers=headers)
        assert (status, answer["field"]) == (400, "body"), raw
    assert members(redis_url, stored) == set()
    status, made = await call("POST", api, json={"name": "sanc", "query": "sanction*"})
    assert status == 201 and made == {"name": "sanc", "query": "sanction*", "language": "auto"}
    body = {"name": "troops", "query": "truppen", "language": "german"}
    assert (await call("POST", api, json=body))[0] == 201
    assert (await call("GET", api))[1] == [made, body]
    assert members(redis_url, stored) == {"sanc", "troops"}
    assert (await call("POST", api, json={"name": "sanc", "query": "embargo"}))[0] == 201
    assert [k["query"] for k in (await call("GET", api))[1]] == ["embargo", "truppen"]
    assert (await call("DELETE", api + "/sanc"))[0] == 204
    assert members(redis_url, stored) == {"troops"}
    status, answer = await call("DELETE", api + "/sanc")
    assert status == 404 and "sanc" in answer["error"]


async def test_a_name_ending_in_a_newline(site: str, redis_url: str, prefix: str) -> None:
    """Names are letters, digits, '-', '_' or '.': "abc\\n" is not one (the `$` of
    NAME_PATTERN lets a final newline through)."""
    for api, body in [("keywords", {"name": "abc\n", "query": "a"}),
                      ("sources", {"name": "abc\n", "url": "http://x.test/"})]:  # fmt: skip
        status, answer = await call("POST", site + f"api/{api}", json=body)
        assert (status, answer.get("field")) == (400, "name"), (api, answer)
    assert members(redis_url, f"{prefix}:keywords") == set()
    assert members(redis_url, f"{prefix}:sourcedefs") == set()


async def test_a_query_tried_on_text(site: str) -> None:
    test = site + "api/keywords/test"
    text = "Sanctions were widened. New sanctions on banks; the sanctioned banks objected."
    status, found = await call("POST", test, json={"query": "sanction*", "text": text})
    assert status == 200 and found["total"] == 1 and found["documents"] == 1
    (match,) = found["matches"]
    shown = " ".join(match["snippets"])
    assert match["count"] == 3 and "**Sanctions**" in shown and "**sanctioned**" in shown
    assert match["lang"] == "en"  # the language the text was taken as
    status, found = await call("POST", test, json={"query": "санкції", "text": "Нові санкції ЄС"})
    assert [(m["count"], m["lang"]) for m in found["matches"]] == [(1, "uk")]
    status, found = await call("POST", test, json={"query": "embargo", "text": text})
    assert (status, found["matches"], found["total"]) == (200, [], 0)
    status, bad = await call("POST", test, json={"query": "sanctions AND", "text": text})
    assert (status, bad["field"], bad["column"]) == (400, "query", 11)
    assert not bad["error"].startswith("keyword")  # a draft has no name to put in the message


async def test_a_query_tried_on_what_a_real_run_stored(
    tmp_path: Path, prefix: str, redis_url: str, http_server: LocalHTTPServer,
    newsmon_cmd: list[str], site: str,
) -> None:  # fmt: skip
    http_server.put("/wire", rss([("w1", "Banks face new sanctions", "Sanctions hit two banks."),
                                  ("w2", "Weather turns cold", "Snow is expected."),
                                  ("w3", "Санкції", "Коротко.")], language="uk"))  # fmt: skip
    (tmp_path / "run.toml").write_text(
        f'[redis]\nprefix = "{prefix}"\n[[sources]]\nname = "wire"\n'
        f'url = "{http_server.url("/wire")}"\nkind = "feed"\n'
        "alert_on_first_poll = true\n"  # else a feed's first poll keeps its body unparsed
    )
    ran = Newsmon(newsmon_cmd, tmp_path / "run.toml", {"NEWSMON_REDIS_URL": redis_url}).run(
        "run", "--once"
    )
    assert ran.returncode == 0, ran.stderr
    test = site + "api/keywords/test"
    status, found = await call("POST", test, json={"query": "sanction*", "last": 20})
    assert status == 200 and found["documents"] == 3 and found["total"] == 1, found
    (match,) = found["matches"]
    assert match["lang"] == "uk"  # short: the feed's declared language stands
    status, found = await call("POST", test, json={"query": "санкціями", "last": 20})
    assert [(m["block"]["headline"], m["lang"]) for m in found["matches"]] == [("Санкції", "uk")]
    assert match["source"] == "wire" and match["count"] == 2
    assert match["document"]["title"] == "Banks face new sanctions"
    assert match["document"]["id"] and match["document"]["url"]
    assert match["block"]["id"] and "sanctions" in match["block"]["headline"]
    assert any("**sanctions**" in s or "**Sanctions**" in s for s in match["snippets"])
    status, bad = await call("POST", test, json={"query": "x", "last": 0})
    assert (status, bad["field"]) == (400, "last")


async def test_sources(site: str, redis_url: str, prefix: str) -> None:
    api, schedule, off = site + "api/sources", f"{prefix}:schedule", f"{prefix}:disabled"
    url = "http://x.test/"
    status, bad = await call("POST", api, json={"name": "w", "url": url, "interval": "often"})
    assert (status, bad["field"]) == (400, "interval")
    assert bad["error"] == 'must be a duration like "90s" or "5m"'
    for extra, field in [({"colour": 1}, "colour"), ({"kind": "x"}, "kind"), ({"tier": 0}, "tier"),
                         ({"tier": "low"}, "tier")]:  # fmt: skip
        status, bad = await call("POST", api, json={"name": "w", "url": url, **extra})
        assert (status, bad["field"]) == (400, field)
    assert members(redis_url, f"{prefix}:sourcedefs") == set()
    status, made = await call("POST", api, json={"name": "w", "url": url, "interval": "90s"})
    assert (status, made) == (201, {"name": "w", "changed": True})
    assert members(redis_url, schedule) == {"w"}
    (row,) = (await call("GET", api))[1]
    assert (row["source"], row["url"], row["interval"], row["disabled"]) == ("w", url, 90, False)
    assert row["tier"] == 2
    status, made = await call("POST", api, json={"name": "w", "url": url, "interval": "90s",
                                                 "tier": 1})  # fmt: skip
    assert (status, made) == (201, {"name": "w", "changed": True})  # the tier edited
    assert (await call("GET", api))[1][0]["tier"] == 1
    assert row["failures"] == 0 and row["next_poll"] and row["watched"] is True
    assert {"last_poll", "last_error", "gone", "alerts_24h", "documents"} <= set(row)
    assert (await call("POST", api + "/w/disable"))[1] == {"name": "w", "disabled": True}
    assert members(redis_url, schedule) == set() and members(redis_url, off) == {"w"}
    (row,) = (await call("GET", api))[1]
    assert row["disabled"] is True and row["next_poll"] is None
    assert (await call("POST", api + "/w/enable"))[1] == {"name": "w", "disabled": False}
    assert members(redis_url, schedule) == {"w"} and members(redis_url, off) == set()
    for action in ("disable", "enable"):
        status, answer = await call("POST", api + f"/nope/{action}")
        assert status == 404 and "nope" in answer["error"]
    assert (await call("DELETE", api + "/w"))[0] == 204
    assert members(redis_url, schedule) == set() and (await call("GET", api))[1] == []
    assert (await call("DELETE", api + "/w"))[0] == 404


async def test_status(site: str, store: Store, redis_url: str, prefix: str) -> None:
    for name in ("a", "b"):
        await sources.add(store, SourceConfig(name=name, url=f"http://{name}.test/"))
    await store.schedule.disable("b")
    put_all(redis_url, prefix, [alert(1), alert(2), alert(3)])
    assert (await call("POST", site + "api/keywords", json={"name": "k", "query": "x"}))[0] == 201
    status, summary = await call("GET", site + "api/status")
    counts = {"daemons": 0, "keywords": 1, "sources": 2, "alerts": 3}
    assert status == 200 and {k: summary[k] for k in counts} == counts
    assert (summary["failing"], summary["disabled"]) == ([], ["b"])
    assert [r["source"] for r in summary["rows"]] == ["a", "b"]


async def read_events(response: aiohttp.ClientResponse, count: int) -> list[dict[str, str]]:
    """The next ``count`` events (their fields); a missing one fails instead of hanging."""
    found: list[dict[str, str]] = []
    fields: dict[str, str] = {}
    while len(found) < count:
        line = (await asyncio.wait_for(response.content.readline(), WAIT)).decode().rstrip("\n")
        if line and not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value
        elif not line:  # an event ends (or the retry: block, which has no data)
            found += [fields] if "data" in fields else []
            fields = {}
    return found


async def test_events_resume_after_the_last_id(site: str, redis_url: str, prefix: str) -> None:
    ids = put_all(redis_url, prefix, [alert(n) for n in range(1, 6)])
    header = {"Last-Event-ID": ids[1]}  # beats a first connection's ?after=, as it must
    async with aiohttp.ClientSession() as session:
        for how in [{"headers": header}, {"params": {"after": ids[1]}},
                    {"headers": header, "params": {"after": ids[3]}}]:  # fmt: skip
            async with session.get(site + "api/events", **how) as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/event-stream")
                got = await read_events(response, 3)
            assert [e["id"] for e in got] == ids[2:] and {e["event"] for e in got} == {"alert"}
            titles = [json.loads(e["data"])["item"]["title"] for e in got]
            assert titles == ["Item 3", "Item 4", "Item 5"], how


async def test_events_live_and_filtered(site: str, redis_url: str, prefix: str) -> None:
    put_all(redis_url, prefix, [alert(1, term="x"), alert(2)])
    async with aiohttp.ClientSession() as session:
        async with session.get(site + "api/events") as response:
            first = await asyncio.wait_for(response.content.readline(), WAIT)
            assert first.startswith(b"retry: ")
            later = put(redis_url, prefix, alert(3))
            (got,) = await read_events(response, 1)
            assert got["id"] == later and json.loads(got["data"])["item"]["title"] == "Item 3"
        async with session.get(site + "api/events?term=x", headers={"Last-Event-ID": "0-0"}) as r:
            (old,) = await read_events(r, 1)
            put(redis_url, prefix, alert(4))
            new = put(redis_url, prefix, alert(5, term="x"))
            (got,) = await read_events(r, 1)
            assert json.loads(old["data"])["item"]["title"] == "Item 1" and got["id"] == new
        for bad in ({"headers": {"Last-Event-ID": "yesterday"}}, {"params": {"after": "x"}}):
            async with session.get(site + "api/events", **bad) as r:
                assert r.status == 400 and (await r.json())["error"]


@pytest.mark.parametrize("how", [{"headers": {"Last-Event-ID": HUGE}},
                                 {"params": {"after": "5-0\n"}}])  # fmt: skip
async def test_an_event_id_redis_refuses(site: str, how: dict[str, Any]) -> None:
    """Such an id passes the id pattern; Redis refuses it at every read, and the stream
    answers 200, then ": redis is not answering; waiting" every second, forever."""
    async with aiohttp.ClientSession() as session:
        async with session.get(site + "api/events", **how) as response:
            text = b"" if response.status != 200 else await asyncio.wait_for(
                response.content.read(200), WAIT)  # fmt: skip
        assert response.status == 400, text.decode()


async def test_the_token(tmp_path: Path, store: Store) -> None:
    jar = aiohttp.CookieJar(unsafe=True)  # keeps a cookie from an IP address, as browsers do
    async with (
        serving(build(store, make_config(tmp_path), "s3cret"), "127.0.0.1", free_port()) as url,
        aiohttp.ClientSession(cookie_jar=jar) as s,
    ):
        for path in ("api/status", "api/events", "", "workbench"):
            async with s.get(url + path) as r:
                assert r.status == 401 and "token" in (await r.json())["error"], path
        for header in ("Bearer wrong", "s3cret", "Basic s3cret"):
            async with s.get(url + "api/status", headers={"Authorization": header}) as r:
                assert r.status == 401, header
        async with s.get(url + "healthz") as r:
            assert r.status == 200 and (await r.text()) == "ok\n"
        bearer = {"Authorization": "Bearer s3cret"}
        async with s.get(url + "api/status", headers=bearer) as r:
            assert r.status == 200 and "newsmon_token" not in r.cookies
        async with s.get(url + "api/events", headers=bearer) as r:
            assert r.status == 200
            assert (await asyncio.wait_for(r.content.readline(), WAIT)).startswith(b"retry:")
        assert not list(jar)
        async with s.get(url + "api/status?token=s3cret") as r:
            assert r.status == 200 and not list(jar)  # a program's call: no cookie
        async with s.get(url + "workbench?token=s3cret&x=1", allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/workbench?x=1"
            assert r.cookies["newsmon_token"].value == "s3cret"  # out of the address bar
            assert r.cookies["newsmon_token"]["httponly"]
        for path in ("api/status", "", "api/keywords"):
            async with s.get(url + path) as r:  # the cookie alone
                assert r.status == 200, path
        jar.clear()
        async with s.get(url + "api/status") as r:
            assert r.status == 401


def test_beyond_loopback_a_token_is_needed(tmp_path: Path, newsmon_cmd: list[str]) -> None:
    with pytest.raises(ConfigError, match="token"):
        check_binding("0.0.0.0", None)
    with pytest.raises(ConfigError, match="token"):
        check_binding("192.0.2.7", "")
    check_binding("127.0.0.1", None)
    check_binding("localhost", None)
    check_binding("0.0.0.0", "t")
    env = {k: v for k, v in os.environ.items() if k != "NEWSMON_WEB_TOKEN"}
    cmd = [*newsmon_cmd, "web", "--config", str(tmp_path / "none.toml"), "--host", "0.0.0.0",
           "--port", str(free_port())]  # fmt: skip
    ran = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 2, (ran.returncode, ran.stderr)
    assert "token" in ran.stderr and "NEWSMON_WEB_TOKEN" in ran.stderr


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"}, {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}])  # fmt: skip
async def test_writes_from_another_origin(
    site: str, store: Store, redis_url: str, prefix: str, headers: dict[str, str]
) -> None:
    await sources.add(store, SourceConfig(name="w", url="http://x.test/"))
    body = {"name": "k", "query": "a"}
    status, answer = await call("POST", site + "api/keywords", json=body, headers=headers)
    assert status == 403 and answer["error"]
    assert (await call("POST", site + "api/sources/w/disable", headers=headers))[0] == 403
    assert (await call("DELETE", site + "api/sources/w", headers=headers))[0] == 403
    assert members(redis_url, f"{prefix}:keywords") == set()
    assert members(redis_url, f"{prefix}:schedule") == {"w"}
    assert (await call("GET", site + "api/keywords", headers=headers))[0] == 200  # reads are
    own = {"Origin": site.rstrip("/")}
    assert (await call("POST", site + "api/keywords", json=body, headers=own))[0] == 201
    own = {"Sec-Fetch-Site": "same-origin", "Origin": site.rstrip("/")}
    assert (await call("POST", site + "api/sources/w/disable", headers=own))[0] == 200
    assert members(redis_url, f"{prefix}:keywords") == {"k"}


async def test_pages_escape_and_keep_secrets(
    tmp_path: Path, store: Store, redis_url: str, prefix: str
) -> None:
    hostile = typed(1, "block.new", "wire", "x")
    hostile["item"]["title"] = hostile["block"]["headline"] = SCRIPT
    hostile["block"]["text"] = f"Before {SCRIPT} after"
    eid = put(redis_url, prefix, hostile)
    await sources.add(store, SourceConfig(name="w", url=f"http://x.test/{SCRIPT}"))
    config = make_config(tmp_path, "redis://:hunter2@127.0.0.1:1/0")
    assert config.redis.url and "hunter2" in config.redis.url
    async with serving(build(store, config, None), "127.0.0.1", free_port()) as url:
        pages = {}
        for path in ("", f"alerts/{eid}", f"workbench?query={SCRIPT}", "sources"):
            status, pages[path] = await call("GET", url + path)
            assert status == 200, path
        answers = [await call("GET", url + p) for p in ("api/status", "api/sources")]
    for path, html in pages.items():
        assert "<script>alert(1)" not in html and "hunter2" not in html, path
    for path in ("", f"alerts/{eid}"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[path], path
    assert all(status == 200 and "hunter2" not in json.dumps(b) for status, b in answers)


async def test_the_wall(site: str, redis_url: str, prefix: str) -> None:
    ids = put_all(redis_url, prefix, [alert(n, term="x" if n % 3 == 0 else None)
                                      for n in range(130)])  # fmt: skip
    card = re.compile(r'<article class="alert" data-id="([^"]+)"')
    status, html = await call("GET", site)
    assert status == 200 and html.count('<article class="alert"') == 100
    assert card.findall(html) == ids[::-1][:100]
    status, html = await call("GET", site + "?term=x")
    shown = card.findall(html)
    assert status == 200 and shown == [ids[n] for n in range(129, -1, -1) if n % 3 == 0]
    assert len(shown) == 44 and "Item 128" not in html and "Item 129" in html


def test_newsmon_web_says_when_it_stops(
    tmp_path: Path, newsmon_cmd: list[str], redis_url: str, prefix: str
) -> None:
    """Like the daemon and the forwarder, ``newsmon web`` logs its stop on SIGINT."""
    config = tmp_path / "m.toml"
    config.write_text(f'[redis]\nprefix = "{prefix}"\n')
    env = {**os.environ, "NEWSMON_REDIS_URL": redis_url}
    cmd = [*newsmon_cmd, "web", "--config", str(config), "--port", str(free_port())]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    lines = LogLines(proc)
    lines.wait(lambda e: e.get("event") == "serving the web pages", "the server up")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    lines.wait(lambda e: e.get("event") == "web stopped", "the stop logged")
    assert any(e.get("signal") == "SIGINT" for e in lines.events), lines.text()
