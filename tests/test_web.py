"""The web server's JSON API, event stream, token and origin rules and pages, against a real
server on loopback and the session's real Redis."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import aiohttp
import pytest
import redis

from monitor.errors import ConfigError
from monitor.store import Store
from monitor.web import build, check_binding, serving
from tests.httpserver import LocalHTTPServer, free_port
from tests.test_client import alert, put
from tests.test_e2e import Newsmon
from tests.webserver import call, config

SCRIPT = "<script>alert(1)</script>"


def keys(redis_url: str, key: str) -> set[str]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        kind = client.type(key)
        if kind == "hash":
            return set(client.hkeys(key))
        return set(client.smembers(key)) if kind == "set" else set(client.zrange(key, 0, -1))
    finally:
        client.close()


async def test_alerts_are_paged_newest_first_and_filtered(
    site: str, redis_url: str, prefix: str
) -> None:
    ids = [put(redis_url, prefix, alert(n, "wire" if n % 2 else "bbc", "x" if n % 3 == 0 else None))
           for n in range(7)]  # fmt: skip
    status, first = await call("GET", site + "api/alerts?limit=4")
    assert status == 200 and [a["stream_id"] for a in first["alerts"]] == ids[::-1][:4]
    _, rest = await call("GET", site + f"api/alerts?limit=4&before={first['next']}")
    assert [a["stream_id"] for a in rest["alerts"]] == ids[::-1][4:] and rest["next"] is None
    _, some = await call("GET", site + "api/alerts?term=x&source=wire,bbc&type=item.new")
    assert [a["alert"]["item"]["title"] for a in some["alerts"]] == ["Item 6", "Item 3", "Item 0"]
    _, wire = await call("GET", site + "api/alerts?source=wire&term=x")
    assert [a["alert"]["item"]["title"] for a in wire["alerts"]] == ["Item 3"]
    status, one = await call("GET", site + f"api/alerts/{ids[2]}")
    assert status == 200 and one["alert"]["item"]["title"] == "Item 2"
    assert (await call("GET", site + "api/alerts/1-999"))[0] == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("before=yesterday", "before"),
        ("type=bogus", "type"),
    ],
)
async def test_a_bad_alerts_request_names_its_field(site: str, query: str, field: str) -> None:
    status, body = await call("GET", site + f"api/alerts?{query}")
    assert status == 400 and body["field"] == field and body["error"]


async def test_keywords_are_validated_as_the_cli_does_and_stored(
    site: str, redis_url: str, prefix: str
) -> None:
    add = site + "api/keywords"
    status, bad = await call("POST", add, json={"name": "x", "query": "sanctions AND"})
    assert (status, bad["field"], bad["column"]) == (400, "query", 11)
    assert bad["error"] == "keyword 'x': AND needs a term on its right"
    status, bad = await call("POST", add, json={"name": "two words", "query": "a"})
    assert (status, bad["field"]) == (400, "name") and "letters, digits" in bad["error"]
    status, bad = await call("POST", add, json={"name": "x", "query": "a", "language": "klingon"})
    assert (status, bad["field"]) == (400, "language")
    for body in ("[1]", "{not json"):
        status, bad = await call(
            "POST", add, data=body, headers={"Content-Type": "application/json"}
        )
        assert (status, bad["field"]) == (400, "body")
    assert keys(redis_url, f"{prefix}:keywords") == set()
    status, made = await call("POST", add, json={"name": "sanc", "query": "sanction*"})
    assert status == 201 and made == {"name": "sanc", "query": "sanction*", "language": "auto"}
    assert (await call("GET", add))[1] == [made]
    assert keys(redis_url, f"{prefix}:keywords") == {"sanc"}
    assert (await call("DELETE", add + "/sanc"))[0] == 204
    assert (await call("DELETE", add + "/sanc"))[0] == 404


async def test_a_query_is_tried_on_text_and_on_stored_documents(
    tmp_path: Path, prefix: str, redis_url: str, http_server: LocalHTTPServer,
    newsmon_cmd: list[str], site: str,
) -> None:  # fmt: skip
    http_server.put(
        "/live", _page(["Troops pull back from the border", "Markets calm"]), "text/html"
    )
    (tmp_path / "run.toml").write_text(
        f'[redis]\nprefix = "{prefix}"\n[[sources]]\nname = "live"\n'
        f'url = "{http_server.url("/live")}"\nkind = "page"\n'
    )
    ran = Newsmon(newsmon_cmd, tmp_path / "run.toml", {"NEWSMON_REDIS_URL": redis_url}).run(
        "run", "--once"
    )
    assert ran.returncode == 0, ran.stderr
    test = site + "api/keywords/test"
    status, found = await call("POST", test, json={"query": "pull* NEAR/5 border"})
    assert status == 200 and found["total"] == 1 and found["documents"] == 1
    (match,) = found["matches"]
    assert match["source"] == "live" and match["block"]["headline"].startswith("Troops")
    assert (
        match["count"] >= 1 and "Troops **pull** back from the **border**" in match["snippets"][0]
    )
    status, found = await call("POST", test, json={"query": "calm", "text": "All calm. Calm."})
    assert status == 200 and found["matches"][0]["count"] == 2
    status, bad = await call("POST", test, json={"query": '"border', "text": "x"})
    assert (status, bad["error"], bad["column"]) == (400, "this quote is never closed", 1)
    status, bad = await call("POST", test, json={"query": "x", "last": 0})
    assert (status, bad["field"]) == (400, "last")


async def test_sources_are_added_switched_off_and_on_and_removed(
    site: str, redis_url: str, prefix: str
) -> None:
    api = site + "api/sources"
    status, bad = await call(
        "POST", api, json={"name": "w", "url": "http://x.test/", "interval": "often"}
    )
    assert (status, bad["field"]) == (400, "interval")
    assert bad["error"] == 'must be a duration like "90s" or "5m"'
    status, bad = await call("POST", api, json={"name": "w", "url": "http://x.test/", "colour": 1})
    assert (status, bad["field"]) == (400, "colour")
    status, bad = await call("POST", api, json={"name": "w", "url": "gopher://x.test/"})
    assert (status, bad["field"]) == (400, "url")
    assert (await call("POST", api, json={"name": "w", "url": "http://x.test/"}))[0] == 201
    assert keys(redis_url, f"{prefix}:schedule") == {"w"}
    assert (await call("POST", api + "/w/disable"))[1] == {"name": "w", "disabled": True}
    assert keys(redis_url, f"{prefix}:schedule") == set()
    assert keys(redis_url, f"{prefix}:disabled") == {"w"}
    (row,) = (await call("GET", api))[1]
    assert row["source"] == "w" and row["disabled"] is True and row["failures"] == 0
    status, summary = await call("GET", site + "api/status")
    assert (status, summary["sources"], summary["disabled"], summary["failing"]) == (
        200,
        1,
        ["w"],
        [],
    )
    assert {"daemons", "keywords", "alerts", "rows"} <= set(summary)
    assert (await call("POST", api + "/w/enable"))[0] == 200
    assert keys(redis_url, f"{prefix}:schedule") == {"w"}
    assert (await call("POST", api + "/nope/disable"))[0] == 404
    assert (await call("DELETE", api + "/w"))[0] == 204
    assert (await call("DELETE", api + "/w"))[0] == 404


async def test_events_resume_after_the_last_event_id(
    site: str, redis_url: str, prefix: str
) -> None:
    ids = [put(redis_url, prefix, alert(n, term="x" if n != 3 else None)) for n in range(5)]
    async with aiohttp.ClientSession() as session:
        headers = {"Last-Event-ID": ids[1]}
        async with session.get(site + "api/events", headers=headers) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            assert [e[0] for e in await _events(response, 3)] == ids[2:]
        async with session.get(site + f"api/events?after={ids[1]}&term=x") as response:
            got = await _events(response, 2)
            assert [e[0] for e in got] == [ids[2], ids[4]]
            assert json.loads(got[0][1])["item"]["title"] == "Item 2"
        async with session.get(site + "api/events") as response:
            await asyncio.wait_for(response.content.readline(), 10)  # the retry: line is out
            later = put(redis_url, prefix, alert(9))
            assert [e[0] for e in await _events(response, 1)] == [later]
        async with session.get(site + "api/events", headers={"Last-Event-ID": "x"}) as response:
            assert response.status == 400


async def test_the_token_is_needed_everywhere_but_the_probes(tmp_path: Path, store: Store) -> None:
    app = build(store, config(tmp_path), "s3cret")
    jar = aiohttp.CookieJar(unsafe=True)  # a cookie from an IP address, as browsers keep it
    async with (
        serving(app, "127.0.0.1", free_port()) as url,
        aiohttp.ClientSession(cookie_jar=jar) as s,
    ):
        async with s.get(url + "api/status") as r:
            assert r.status == 401 and "token" in (await r.json())["error"]
        async with s.get(url + "api/events") as r:
            assert r.status == 401
        async with s.get(url + "healthz") as r:
            assert r.status == 200
        async with s.get(url + "api/status", headers={"Authorization": "Bearer s3cret"}) as r:
            assert r.status == 200
        async with s.get(url + "?token=wrong") as r:
            assert r.status == 401
        async with s.get(url + "?token=s3cret", allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/"
            assert "newsmon_token" in r.cookies
        async with s.get(url + "workbench") as r:  # the cookie alone now
            assert r.status == 200


def test_listening_beyond_loopback_needs_a_token(tmp_path: Path, newsmon_cmd: list[str]) -> None:
    with pytest.raises(ConfigError, match="needs a token"):
        check_binding("0.0.0.0", None)
    check_binding("127.0.0.1", None)
    check_binding("::1", None)
    check_binding("0.0.0.0", "t")
    env = {k: v for k, v in os.environ.items() if k != "NEWSMON_WEB_TOKEN"}
    cmd = [*newsmon_cmd, "web", "--config", str(tmp_path / "none.toml"), "--host", "0.0.0.0"]
    ran = subprocess.run([*cmd, "--port", str(free_port())], env=env, capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert ran.returncode == 2 and "needs a token (--token or NEWSMON_WEB_TOKEN)" in ran.stderr


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://sub.example"},
    ],
)
async def test_writes_from_another_origin_are_refused(
    site: str, redis_url: str, prefix: str, headers: dict[str, str]
) -> None:
    body = {"name": "k", "query": "a"}
    assert (await call("POST", site + "api/keywords", json=body, headers=headers))[0] == 403
    assert (await call("DELETE", site + "api/sources/x", headers=headers))[0] == 403
    assert keys(redis_url, f"{prefix}:keywords") == set()
    own = {"Origin": site.rstrip("/"), "Sec-Fetch-Site": "same-origin"}
    assert (await call("POST", site + "api/keywords", json=body, headers=own))[0] == 201


async def test_pages_escape_everything_and_show_no_password(
    tmp_path: Path, store: Store, redis_url: str, prefix: str
) -> None:
    for n in range(120):
        put(redis_url, prefix, alert(n, term="x" if n % 2 else None))
    hostile = alert(200, term="x")
    hostile["item"] = {"id": "h", "url": "javascript:alert(1)", "title": SCRIPT}
    hostile["block"] = {"id": "b", "headline": SCRIPT, "text": f"**{SCRIPT}**", "published": None}
    eid = put(redis_url, prefix, hostile)
    site = build(store, config(tmp_path, "redis://:hunter2@127.0.0.1:1/0"), None)
    async with serving(site, "127.0.0.1", free_port()) as url:
        pages = {path: (await call("GET", url + path))[1]
                 for path in ("", "?term=x", f"alerts/{eid}", "workbench", "sources")}  # fmt: skip
        status = json.dumps((await call("GET", url + "api/status"))[1])
    for path, html in pages.items():
        assert "<script>alert(1)" not in html and "hunter2" not in html, path
        assert 'href="javascript:' not in html, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[f"alerts/{eid}"]
    assert "hunter2" not in status
    assert pages[""].count('<article class="alert"') == 100
    assert pages[""].index("Item 119") < pages[""].index("Item 118")
    filtered = pages["?term=x"]
    assert filtered.count('<article class="alert"') == 61 and "Item 118" not in filtered


async def _events(response: aiohttp.ClientResponse, count: int) -> list[tuple[str, str]]:
    """The next ``count`` events as (id, data); a missing one fails instead of hanging."""
    found: list[tuple[str, str]] = []
    fields: dict[str, str] = {}
    while len(found) < count:
        line = (await asyncio.wait_for(response.content.readline(), 10)).decode().rstrip("\n")
        if line:
            name, _, value = line.partition(": ")
            fields[name] = value
        elif "data" in fields:
            assert fields["event"] == "alert"
            found.append((fields["id"], fields["data"]))
            fields = {}
    return found


def _page(headlines: list[str]) -> str:
    blocks = "".join(
        f'<article class="liveblog-update" id="u{i}"><h2>{h}</h2><p>Reporters said {h.lower()}.'
        "</p></article>"
        for i, h in enumerate(headlines)
    )
    return f"<html><head><title>Live</title></head><body><h1>Live</h1>{blocks}</body></html>"


def test_the_openapi_file_and_api_md_describe_every_api_route(tmp_path: Path) -> None:
    import yaml

    from monitor.web import api, events

    docs = Path(__file__).resolve().parents[1] / "docs"
    routes = {(r.method, r.path) for table in (api.routes, events.routes) for r in table}  # type: ignore[attr-defined]
    spec = yaml.safe_load((docs / "openapi.yaml").read_text())
    described = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert described == routes
    written = (docs / "api.md").read_text()
    assert all(f"`{m} {p}" in written for m, p in routes), sorted(routes)


async def test_every_api_error_is_json_and_a_missing_alert_page_is_html(site: str) -> None:
    status, body = await call("GET", site + "api/nothing-here")
    assert status == 404 and body["error"] == "not found"
    status, body = await call("PUT", site + "api/keywords")
    assert status == 405 and body["error"] == "method not allowed"
    big = {"name": "k", "query": "a" * (2 << 20)}
    status, body = await call("POST", site + "api/keywords", json=big)
    assert status == 413 and "error" in body
    status, page = await call("GET", site + "alerts/1-1")
    assert status == 404 and "<h1>Not found</h1>" in page and "never written" in page


async def test_without_a_token_only_loopback_names_are_answered(
    site: str, redis_url: str, prefix: str
) -> None:
    """DNS rebinding: another site's name pointed at 127.0.0.1 arrives with its own Host."""
    port = site.rstrip("/").rsplit(":", 1)[1]
    source = {"name": "passwd", "url": "file:///etc/passwd"}
    for host in (f"evil.example:{port}", "evil.example"):
        headers = {"Host": host}
        assert (await call("POST", site + "api/sources", json=source, headers=headers))[0] == 403
        assert (await call("GET", site + "api/status", headers=headers))[0] == 403
    assert keys(redis_url, f"{prefix}:sourcedefs") == set()
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        assert (await call("GET", site + "api/status", headers={"Host": host}))[0] == 200
    behind_tls = {"Origin": site.rstrip("/").replace("http://", "https://")}  # a TLS proxy
    body = {"name": "k", "query": "a"}
    assert (await call("POST", site + "api/keywords", json=body, headers=behind_tls))[0] == 201


async def test_pages_answer_bad_input_as_pages_and_the_wall_goes_on_from_the_stream_end(
    site: str, redis_url: str, prefix: str
) -> None:
    last = put(redis_url, prefix, alert(1, source="wire"))
    status, page = await call("GET", site + "?source=nobody")
    assert status == 200 and f'data-after="{last}"' in page  # nothing shown, nothing missed
    status, page = await call("GET", site + "?type=bogus")
    assert status == 400 and "<h1>Bad request</h1>" in page and "type: unknown alert type" in page
    status, page = await call("GET", site + "alerts/yesterday")
    assert status == 404 and "<h1>Not found</h1>" in page
