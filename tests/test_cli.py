"""The CLI's offline commands, its errors and its output, run as the console script."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from tests.feeds import liveblog, rss
from tests.test_e2e import on_terminal
from tests.test_pipeline import ITEM_A, ITEM_B, UPD_1, UPD_2


def newsmon(
    cmd: list[str], *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("NEWSMON_CONFIG", None)
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60, env=full_env)


def test_keywords_test_prints_matches_with_snippets(newsmon_cmd: list[str], tmp_path: Path) -> None:
    query = 'troop* NEAR/6 (withdraw OR "pull back")'
    text = "Moscow said it started pulling back some troop units from the border."
    hit = newsmon(newsmon_cmd, "keywords", "test", query, text, "--config", str(tmp_path / "none"))
    assert hit.returncode == 0, hit.stderr
    assert "1 match" in hit.stdout and "**troop**" in hit.stdout
    miss = newsmon(newsmon_cmd, "keywords", "test", query, "Nothing to see.", "--config", "x.toml")
    assert miss.returncode == 1 and "no match" in miss.stdout
    bad = newsmon(newsmon_cmd, "keywords", "test", "troops NEAR/", "text", "--config", "x.toml")
    assert bad.returncode == 2 and "column" in bad.stderr


def test_keywords_test_says_when_the_work_limit_is_reached(
    newsmon_cmd: list[str], tmp_path: Path
) -> None:
    """A chain of NEARs over one repeated word (issue 21) is no match, and says why."""
    query = " NEAR/100 ".join(["a*"] * 32)
    ran = newsmon(newsmon_cmd, "keywords", "test", query, "a " * 20_000, "--config", "x.toml")
    assert ran.returncode == 1, ran.stderr
    assert "text: the query reached its work limit here" in ran.stdout
    assert "no match" in ran.stdout


def test_keywords_test_on_a_page_file(newsmon_cmd: list[str], tmp_path: Path) -> None:
    page = tmp_path / "live.html"
    page.write_text(liveblog([UPD_2, UPD_1]), encoding="utf-8")
    result = newsmon(
        newsmon_cmd, "keywords", "test", "stock*", "--file", str(page), "--config", "x.toml"
    )
    assert result.returncode == 0, result.stderr
    assert "Markets steady: 1 match" in result.stdout


def test_check_feed_snapshots_readable_output(newsmon_cmd: list[str], tmp_path: Path) -> None:
    old, new = tmp_path / "old.xml", tmp_path / "new.xml"
    old.write_text(rss([ITEM_A]), encoding="utf-8")
    new.write_text(rss([ITEM_B, ITEM_A]), encoding="utf-8")
    result = newsmon(
        newsmon_cmd, "check", str(old), str(new), "--keyword", "sanctions=sanction*",
        "--config", str(tmp_path / "none.toml"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "item.new" in result.stdout and ITEM_B[1] in result.stdout
    assert "term sanctions: 0 → 2 (appeared)" in result.stdout
    assert result.stdout.rstrip().endswith("1 alert")


def test_check_warns_when_old_and_new_are_not_of_one_kind(
    newsmon_cmd: list[str], tmp_path: Path
) -> None:
    old, new = tmp_path / "old.xml", tmp_path / "new.html"
    old.write_text(rss([ITEM_A]), encoding="utf-8")
    new.write_text(liveblog([UPD_1]), encoding="utf-8")
    mixed = newsmon(newsmon_cmd, "check", str(old), str(new), "--config", str(tmp_path / "n"))
    assert mixed.returncode == 0
    assert "warning: OLD is a feed and NEW a page" in mixed.stderr
    same = newsmon(newsmon_cmd, "check", str(old), str(old), "--config", str(tmp_path / "n"))
    assert "warning" not in same.stderr


def test_check_refuses_bad_input_clearly(newsmon_cmd: list[str], tmp_path: Path) -> None:
    missing = newsmon(
        newsmon_cmd, "check", str(tmp_path / "a"), str(tmp_path / "b"), "--config", "x"
    )
    assert missing.returncode == 2 and f"{tmp_path / 'a'}: no such file" in missing.stderr
    bad_kw = newsmon(newsmon_cmd, "check", "a", "b", "--keyword", "novalue", "--config", "x")
    assert bad_kw.returncode == 2 and "NAME=QUERY" in bad_kw.stderr


@pytest.mark.parametrize("command", [["run", "--once"], ["status"], ["keywords", "list"]])
def test_redis_password_never_reaches_the_output(
    newsmon_cmd: list[str], tmp_path: Path, command: list[str]
) -> None:
    config = tmp_path / "m.toml"
    config.write_text('[[sources]]\nname = "a"\nurl = "http://127.0.0.1:1/"\n')
    env = {"NEWSMON_REDIS_URL": "redis://:hunter2secret@127.0.0.1:1/0"}
    result = newsmon(newsmon_cmd, *command, "--config", str(config), env=env)
    assert result.returncode == 1
    assert "hunter2secret" not in result.stdout + result.stderr
    assert "127.0.0.1:1" in result.stderr  # the error still says where


def test_status_table_and_json_after_a_failing_and_a_healthy_source(
    newsmon_cmd: list[str], tmp_path: Path, redis_url: str, prefix: str
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(rss([ITEM_B, ITEM_A]), encoding="utf-8")
    config = tmp_path / "m.toml"
    config.write_text(
        f'[redis]\nprefix = "{prefix}"\n[monitor]\nworkers = 1\ninterval = "2m"\n'
        f'[[sources]]\nname = "gone"\nurl = "{tmp_path / "missing.xml"}"\n'
        f'[[sources]]\nname = "wire"\nurl = "{feed}"\nalert_on_first_poll = true\n'
        f'interval = "90s"\n'
    )
    env = {"NEWSMON_REDIS_URL": redis_url}
    run = newsmon(newsmon_cmd, "run", "--once", "--config", str(config), env=env)
    assert run.returncode == 1  # one source failed
    rows = {
        row["source"]: row
        for row in map(json.loads, newsmon(
            newsmon_cmd, "status", "--json", "--config", str(config), env=env
        ).stdout.splitlines())
    }  # fmt: skip
    gone, wire = rows["gone"], rows["wire"]
    assert (gone["kind"], gone["interval"], gone["failures"], gone["last_ok"]) == (
        "feed", 120.0, 1, None
    )  # fmt: skip
    assert gone["failure_class"] == "content" and "no such file" in gone["last_error"]
    assert gone["next_reason"] == "backoff" and gone["next_poll"]
    assert (wire["interval"], wire["failures"], wire["last_http"]) == (90.0, 0, 200)
    assert wire["last_ok"] and wire["alerts_24h"] == 2 and wire["documents"] == 2
    assert (wire["stories_first"], gone["stories_first"]) == (2, 0)  # two stories, each new
    table = newsmon(newsmon_cmd, "status", "--config", str(config), env=env)
    assert table.returncode == 0, table.stderr
    header, *lines = table.stdout.splitlines()
    assert header.split()[:3] == ["SOURCE", "KIND", "EVERY"] and "LAST ERROR" in header
    assert header.split()[header.split().index("FIRST") - 2 :][:3] == ["24", "H", "FIRST"]
    assert lines[0].split()[:3] == ["gone", "feed", "2m"]
    assert "(backoff)" in lines[0] and "no such file" in lines[0]
    assert lines[1].split()[:3] == ["wire", "feed", "90s"] and "changed" in lines[1]


HEAVY = ("aiohttp", "apscheduler", "lxml", "feedparser")


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["keywords", "--help"],
        ["sources", "list", "--help"],
        ["keywords", "list", "--config", "none.toml"],  # up to opening Redis, which fails here
        ["status", "--config", "none.toml"],
    ],
)
def test_commands_import_only_what_they_use(command: list[str], tmp_path: Path) -> None:
    """The import guard of a fast CLI: no fetcher, scheduler or parser for these commands."""
    probe = (
        "import sys\n"
        "from monitor.cli import main\n"
        "try:\n"
        f"    main({command!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "NEWSMON_REDIS_URL": "redis://127.0.0.1:1/0"}  # nothing listens there
    env.pop("NEWSMON_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_check_keyword_option_replaces_the_config_keyword_of_that_name(
    newsmon_cmd: list[str], tmp_path: Path
) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text('[[keywords]]\nname = "sanctions"\nquery = "embargo"\n', encoding="utf-8")
    old, new = tmp_path / "old.xml", tmp_path / "new.xml"
    old.write_text(rss([ITEM_A]), encoding="utf-8")
    new.write_text(rss([ITEM_B, ITEM_A]), encoding="utf-8")
    result = newsmon(
        newsmon_cmd, "check", str(old), str(new), "--keyword", "sanctions=sanction*",
        "--config", str(config),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "term sanctions: 0 → 2 (appeared)" in result.stdout


def test_config_check_says_what_it_would_watch_or_names_the_key(
    newsmon_cmd: list[str], tmp_path: Path
) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        '[redis]\nurl = "redis://:hunter2@127.0.0.1:6390/0"\n[monitor]\ninterval = "2m"\n'
        '[[sources]]\nname = "wire"\nurl = "https://x.example/feed"\n'
        '[[keywords]]\nname = "sanctions"\nquery = "sanction*"\n'
    )
    done = newsmon(newsmon_cmd, "config", "check", "--config", str(good))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{good}: valid" and "hunter2" not in done.stdout
    assert "  wire  feed  https://x.example/feed  every 120s" in lines
    assert "  sanctions  sanction*" in lines
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nname = "wire"\nurl = "https://x.example/feed"\ninterval = "x"\n')
    refused = newsmon(newsmon_cmd, "config", "check", "--config", str(bad))
    assert refused.returncode == 2
    assert "sources[0].interval" in refused.stderr and str(bad) in refused.stderr


def test_run_once_shows_a_progress_bar_on_a_terminal_only(
    newsmon_cmd: list[str], tmp_path: Path, redis_url: str, prefix: str
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(rss([ITEM_B, ITEM_A]), encoding="utf-8")
    config = tmp_path / "m.toml"
    config.write_text(
        f'[redis]\nprefix = "{prefix}"\n[monitor]\nworkers = 1\n'
        f'[[sources]]\nname = "wire"\nurl = "{feed}"\nalert_on_first_poll = true\n'
        f'[[sources]]\nname = "gone"\nurl = "{tmp_path / "missing.xml"}"\n'
    )
    cmd = [*newsmon_cmd, "run", "--once", "--config", str(config)]
    env = {**os.environ, "NEWSMON_REDIS_URL": redis_url, "COLUMNS": "120"}
    code, written = on_terminal(cmd, env)
    assert code == 1  # one source failed
    shown = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", written)
    assert re.search(r"polling .*2/2 1 failed 2 alerts", shown), shown[-2000:]
    _code, again = on_terminal(cmd, env)  # the failed source now backs off: skipped, and said
    shown = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", again)
    assert re.search(r"polling .*1/1 0 failed 0 alerts 1 skipped", shown), shown[-2000:]
    piped = subprocess.run([*cmd, "--force"], capture_output=True, text=True, timeout=60, env=env)
    assert "polling" not in piped.stderr and '"event": "poll"' in piped.stderr


def test_run_once_with_no_one_to_read_metrics_keeps_none(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    """A pass with no metrics port and no progress bar neither imports prometheus-client nor
    keeps a series per source; the daemon does."""
    config = tmp_path / "monitor.toml"
    config.write_text(f'[redis]\nprefix = "{prefix}"\n', encoding="utf-8")
    probe = (
        "import sys\n"
        "from monitor.cli import main\n"
        f"code = main(['run', '--once', '--config', {str(config)!r}])\n"
        "print(code, 'prometheus_client' in sys.modules)\n"
    )
    env = {**os.environ, "NEWSMON_REDIS_URL": redis_url}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "0 False", done.stdout + done.stderr


def test_status_says_no_daemon_runs_marks_overdue_polls_and_dates_a_past_error(
    newsmon_cmd: list[str], tmp_path: Path, redis_url: str, prefix: str
) -> None:
    feed = tmp_path / "feed.xml"
    config = tmp_path / "m.toml"
    config.write_text(
        f'[redis]\nprefix = "{prefix}"\n[monitor]\nworkers = 1\n'
        f'[[sources]]\nname = "wire"\nurl = "{feed}"\n'
    )
    env = {"NEWSMON_REDIS_URL": redis_url}
    assert newsmon(newsmon_cmd, "run", "--once", "--config", str(config), env=env).returncode == 1
    feed.write_text(rss([ITEM_A]), encoding="utf-8")
    again = newsmon(newsmon_cmd, "run", "--once", "--force", "--config", str(config), env=env)
    assert again.returncode == 0, again.stderr
    client = redis.Redis.from_url(redis_url)
    client.zadd(f"{prefix}:schedule", {"wire": 1_000_000_000_000})  # due in 2001
    client.close()
    shown = newsmon(newsmon_cmd, "status", "--config", str(config), env=env).stdout
    row = shown.splitlines()[1]
    assert "2001-09-09 01:46 overdue" in row, shown
    assert re.search(r"\(past\) \d\d:\d\d:\d\d: .*no such file", row), shown
    assert shown.splitlines()[-1].startswith("no daemon is running on this Redis"), shown


def test_sources_list_and_config_check_align_their_columns(
    newsmon_cmd: list[str], tmp_path: Path, redis_url: str, prefix: str
) -> None:
    config = tmp_path / "m.toml"
    config.write_text(
        f'[redis]\nprefix = "{prefix}"\n'
        '[[sources]]\nname = "a"\nurl = "https://a.example/feed.xml"\n'
        '[[sources]]\nname = "longer-name"\nurl = "https://b.example/f"\ninterval = "90s"\n'
    )
    env = {"NEWSMON_REDIS_URL": redis_url}
    checked = newsmon(newsmon_cmd, "config", "check", "--config", str(config), env=env)
    assert "  a            feed  https://a.example/feed.xml  every 300s\n" in checked.stdout
    assert "  longer-name  feed  https://b.example/f         every 90s\n" in checked.stdout
    for name, url in (("x", "https://c.example/rss"), ("wire-long", "https://d.example/")):
        added = newsmon(newsmon_cmd, "sources", "add", name, url, "--interval", "1h",
                        "--config", str(config), env=env)  # fmt: skip
        assert added.returncode == 0, added.stderr
    listed = newsmon(newsmon_cmd, "sources", "list", "--config", str(config), env=env).stdout
    assert listed == (
        "wire-long  feed  tier 2  https://d.example/     every 3600s  (cli)\n"
        "x          feed  tier 2  https://c.example/rss  every 3600s  (cli)\n"
    )


def test_sources_add_sets_a_tier_list_shows_it_and_a_bad_one_is_refused_by_name(
    newsmon_cmd: list[str], tmp_path: Path, redis_url: str, prefix: str
) -> None:
    config = tmp_path / "m.toml"
    config.write_text(
        f'[redis]\nprefix = "{prefix}"\n'
        '[[sources]]\nname = "ap"\nurl = "https://ap.example/feed"\ntier = 1\n'
    )
    env = {"NEWSMON_REDIS_URL": redis_url}
    checked = newsmon(newsmon_cmd, "config", "check", "--config", str(config), env=env).stdout
    assert "  ap  feed  https://ap.example/feed  every 300s  tier 1\n" in checked
    wire = ("sources", "add", "wire", "https://w.example/rss", "--config", str(config))
    assert newsmon(newsmon_cmd, *wire, "--tier", "1", env=env).returncode == 0
    refused = newsmon(newsmon_cmd, *wire, "--tier", "4", env=env)
    assert refused.returncode == 2 and "config error: tier: must be 1 (official or wire), 2 " \
        "(default) or 3 (low)" in refused.stderr, refused.stderr  # fmt: skip

    def tiers() -> dict[str, int]:
        rows = newsmon(newsmon_cmd, "sources", "list", "--json", "--config", str(config), env=env)
        return {r["name"]: r["tier"] for r in map(json.loads, rows.stdout.splitlines())}

    assert tiers() == {"wire": 1}  # the refused one stored nothing
    assert newsmon(newsmon_cmd, *wire, "--tier", "3", env=env).returncode == 0  # edited
    assert newsmon(newsmon_cmd, "sources", "add", "bbc", "https://b.example/rss", "--config",
                   str(config), env=env).returncode == 0  # fmt: skip
    assert tiers() == {"wire": 3, "bbc": 2}
    listed = newsmon(newsmon_cmd, "sources", "list", "--config", str(config), env=env).stdout
    assert "wire  feed  tier 3  https://w.example/rss" in listed, listed


def test_sources_add_and_config_check_refuse_a_url_the_fetcher_cannot_read(
    newsmon_cmd: list[str], tmp_path: Path, redis_url: str, prefix: str
) -> None:
    """``sources add`` printed "watching js: javascript:alert(1)" and stored it."""
    from tests.test_config import BAD_URLS

    config = tmp_path / "m.toml"
    config.write_text(f'[redis]\nprefix = "{prefix}"\n')
    env = {"NEWSMON_REDIS_URL": redis_url}
    for url, reason in [(u, r) for u, r in BAD_URLS if "\x00" not in u]:  # argv holds no NUL
        got = newsmon(newsmon_cmd, "sources", "add", "js", url, "--config", str(config), env=env)
        assert got.returncode == 2, (url, got.stdout)
        assert "config error: url: " in got.stderr and reason in got.stderr, (url, got.stderr)
    listed = newsmon(newsmon_cmd, "sources", "list", "--json", "--config", str(config), env=env)
    assert listed.stdout == ""
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[sources]]\nname = "a"\nurl = "https://x.example/a"\n'
        '[[sources]]\nname = "b"\nurl = "/var/feeds/b.xml"\n'
        '[[sources]]\nname = "js"\nurl = "javascript:alert(1)"\n'
    )
    refused = newsmon(newsmon_cmd, "config", "check", "--config", str(bad))
    assert refused.returncode == 2, refused.stdout
    assert "sources[2].url: must be http://, https://, file:// or a path, not javascript:" in (
        refused.stderr
    )


def test_config_check_and_run_exit_2_on_a_toml_nested_past_the_stack(
    newsmon_cmd: list[str], tmp_path: Path
) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    for command in (["config", "check"], ["run", "--once"]):
        got = newsmon(newsmon_cmd, *command, "--config", str(deep))
        assert got.returncode == 2, (command, got.stderr[-500:])
        assert f"not valid TOML: nested too deeply ({deep})" in got.stderr
        assert "Traceback" not in got.stderr
