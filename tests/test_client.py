"""The Python client: typed alerts from the stream, filtered, from a time or a stream id, and
the documented example run as a program."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from monitor.client import _after, alerts
from monitor.errors import StoreError
from monitor.store import is_stream_id
from tests.httpserver import free_port
from tests.redisserver import RedisServer
from tests.test_e2e import on_terminal

DOCS = Path(__file__).resolve().parents[1] / "docs" / "consuming.md"


def put(redis_url: str, prefix: str, alert: dict[str, object]) -> str:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return str(client.xadd(f"{prefix}:stream", {"alert": json.dumps(alert)}))
    finally:
        client.close()


def alert(n: int, source: str = "wire", term: str | None = None) -> dict[str, object]:
    terms = [{"name": term, "before": 0, "after": 1, "appeared": True, "disappeared": False,
              "snippets": [f"**{term}**"], "numbers": []}] if term else []  # fmt: skip
    return {
        "schema": 1, "id": f"{n:032x}", "type": "item.new", "source": source,
        "item": {"id": f"i{n}", "url": f"https://x.example/{n}", "title": f"Item {n}"},
        "block": None, "terms": terms, "detected_at": "2026-11-25T07:00:00.000Z",
    }  # fmt: skip


async def test_alerts_since_a_stream_id_filtered_by_term(redis_url: str, prefix: str) -> None:
    first = put(redis_url, prefix, alert(1, term="sanctions"))
    put(redis_url, prefix, alert(2, term="sanctions"))
    put(redis_url, prefix, alert(3))
    put(redis_url, prefix, alert(4, source="other", term="sanctions"))
    got = []
    async for a in alerts(redis_url, prefix, terms=["sanctions"], sources=["wire"],
                                  since=first):  # fmt: skip
        got.append(a["item"]["title"])
        break
    assert got == ["Item 2"]


async def test_alerts_since_a_time_include_that_moment(redis_url: str, prefix: str) -> None:
    put(redis_url, prefix, alert(1))
    start = datetime.now(UTC) - timedelta(seconds=60)
    titles = []
    async for a in alerts(redis_url, prefix, since=start):
        titles.append(a["item"]["title"])
        break
    assert titles == ["Item 1"]


def test_since_is_checked() -> None:
    assert _after("1732520000000-5") == "1732520000000-5"
    assert _after(datetime(2026, 1, 1, tzinfo=UTC)) == f"{1767225600000 - 1}-{2**64 - 1}"
    with pytest.raises(ValueError, match="not a stream id"):
        _after("yesterday")
    with pytest.raises(ValueError, match="timezone-aware"):
        _after(datetime(2026, 1, 1))


def test_a_stream_id_is_checked_as_redis_takes_it() -> None:
    """One rule for the client and the web API: two parts below 2**64, the second optional
    where Redis allows it (XREAD), and nothing after them."""
    assert is_stream_id("1732520000000-5") and is_stream_id(f"{2**64 - 1}-{2**64 - 1}")
    assert not is_stream_id("1732520000000") and is_stream_id("1732520000000", whole=False)
    for bad in (f"{2**64}-0", f"1-{2**64}", "1-2\n", "-1-0", "1-", "1-2-3", ""):
        assert not is_stream_id(bad) and not is_stream_id(bad, whole=False), bad


def test_the_documented_example_runs(redis_url: str, prefix: str, tmp_path: Path) -> None:
    code = re.search(r"## From Python.*?```python\n(.*?)```", DOCS.read_text(), re.S)
    assert code is not None
    script = tmp_path / "example.py"
    script.write_text(code.group(1))
    put(redis_url, prefix, alert(7, term="sanctions"))
    env = {**os.environ, "NEWSMON_REDIS_URL": redis_url, "NEWSMON_PREFIX": prefix,
           "NEWSMON_EXAMPLE_ONE": "1"}  # fmt: skip
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "2026-11-25T07:00:00.000Z item.new wire Item 7",
        "  sanctions: 0 -> 1",
    ]


def test_the_documented_example_type_checks(tmp_path: Path) -> None:
    """The alerts are typed: mypy --strict knows every field the example reads."""
    code = re.search(r"## From Python.*?```python\n(.*?)```", DOCS.read_text(), re.S)
    assert code is not None
    script = tmp_path / "example.py"
    script.write_text(code.group(1) + '\nasync def wrong() -> None:\n'
                      '    async for a in alerts("redis://x"):\n'
                      '        a["headline"]\n')  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(DOCS.parents[1])},  # an editable install hides it
    )  # fmt: skip
    errors = [x for x in done.stdout.splitlines() if x.startswith("example.py") and ": error:" in x]
    assert len(errors) == 1 and '"Alert" has no key "headline"' in errors[0], done.stdout


def test_subscribe_colours_only_on_a_terminal(
    redis_url: str, prefix: str, tmp_path: Path, newsmon_cmd: list[str]
) -> None:
    put(redis_url, prefix, alert(9, term="sanctions"))
    config = tmp_path / "m.toml"
    config.write_text(f'[redis]\nprefix = "{prefix}"\n')
    cmd = [*newsmon_cmd, "subscribe", "--replay", "1", "--count", "1", "--config", str(config)]
    env = {**os.environ, "NEWSMON_REDIS_URL": redis_url, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    piped = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert "**sanctions**" in piped.stdout and "\x1b[" not in piped.stdout
    assert "connected" not in piped.stderr  # a program reading the output gets alerts alone
    _, shown = on_terminal(cmd, env)
    assert "\x1b[" in shown and "**" not in shown
    said = f"newsmon: connected to {redis_url}, key prefix '{prefix}'; showing the newest 1"
    assert said in shown
    assert "sanctions" in shown and "https://x.example/9" in shown and "Item 9" in shown


@pytest.mark.parametrize("since", [None, "0-0", datetime(2026, 1, 1, tzinfo=UTC)])
async def test_a_wrong_url_or_password_is_a_clear_error_at_once(
    tmp_path: Path, since: str | datetime | None
) -> None:
    """With or without ``since``: before the fix, a given ``since`` skipped the first call that
    could fail, and the reading loop waited out the refusal forever."""
    with RedisServer(tmp_path) as server:
        with redis.Redis(port=server.port) as admin:
            admin.config_set("requirepass", "s3cret")
        for url in (
            f"redis://:wrong@127.0.0.1:{server.port}/0",
            f"redis://127.0.0.1:{free_port()}/0",
        ):
            with pytest.raises(StoreError):
                await asyncio.wait_for(anext(alerts(url, "p", since=since)), timeout=30)


def test_subscribe_ends_quietly_when_its_reader_closes_the_pipe(
    redis_url: str, prefix: str, tmp_path: Path, newsmon_cmd: list[str]
) -> None:
    """``newsmon subscribe --json | head -1``: exit 0 and no BrokenPipeError traceback."""
    put(redis_url, prefix, alert(1))
    config = tmp_path / "m.toml"
    config.write_text(f'[redis]\nprefix = "{prefix}"\n')
    cmd = [*newsmon_cmd, "subscribe", "--json", "--replay", "1", "--config", str(config)]
    env = {**os.environ, "NEWSMON_REDIS_URL": redis_url}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    assert json.loads(proc.stdout.readline())["id"] == f"{1:032x}"
    proc.stdout.close()
    put(redis_url, prefix, alert(2))  # written to the closed pipe
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in proc.stderr.read()


async def test_the_documented_recipes_reach_the_embedded_server(
    tmp_path: Path, newsmon_cmd: list[str]
) -> None:
    """docs/consuming.md as a user runs it: the URL from ``newsmon redis url``, then the Python
    example and the redis-cli recipe, on the embedded server of a data dir of its own."""
    from monitor.store import embedded

    env = {**os.environ, "NEWSMON_DATA_DIR": str(tmp_path / "data"), "NEWSMON_PREFIX": "newsmon",
           "NEWSMON_EXAMPLE_ONE": "1"}  # fmt: skip
    env.pop("NEWSMON_REDIS_URL", None)
    url, _ = await embedded.start(tmp_path / "data")
    try:
        shown = subprocess.run([*newsmon_cmd, "redis", "url", "--config", str(tmp_path / "n")],
                               capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
        env["NEWSMON_REDIS_URL"] = shown.stdout.strip()
        put(env["NEWSMON_REDIS_URL"], "newsmon", alert(7, term="sanctions"))
        code = re.search(r"## From Python.*?```python\n(.*?)```", DOCS.read_text(), re.S)
        assert code is not None
        (tmp_path / "example.py").write_text(code.group(1))
        done = subprocess.run([sys.executable, str(tmp_path / "example.py")], capture_output=True,
                              text=True, timeout=60, env=env)  # fmt: skip
        assert done.stdout.startswith("2026-11-25T07:00:00.000Z item.new wire Item 7"), done
        recipe = re.search(r"## From redis-cli.*?```sh\n(.*?)\n", DOCS.read_text(), re.S)
        assert recipe is not None and recipe.group(1).startswith("eval")
        if shutil.which("redis-cli"):
            env["PATH"] = f"{Path(newsmon_cmd[0]).parent}:{env['PATH']}"
            last = subprocess.run(["bash", "-c", recipe.group(1)], capture_output=True,
                                  text=True, timeout=60, env=env)  # fmt: skip
            assert '"Item 7"' in last.stdout, last
    finally:
        await embedded.release(url)


def test_the_typed_alert_names_every_field_of_the_schema_and_the_story_its_own() -> None:
    from monitor import alert_schema
    from monitor.alerttypes import Alert, Story

    schema = alert_schema()
    assert set(Alert.__annotations__) == set(schema["properties"])
    story = schema["properties"]["story"]
    assert Story.__required_keys__ == set(story["required"]) == set(story["properties"])
