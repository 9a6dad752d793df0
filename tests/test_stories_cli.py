"""``newsmon stories cluster`` run as the console script, on good and bad input."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.stories_set import SET


def run(cmd: list[str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSMON_CONFIG"}
    return subprocess.run(
        [*cmd, "stories", "cluster", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_cluster_prints_every_item_in_published_order(newsmon_cmd: list[str]) -> None:
    """The labelled set (extra fields such as "event" are ignored) gives one line an item."""
    ran = run(newsmon_cmd, str(SET))
    assert ran.returncode == 0, ran.stderr
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    in_file = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines()]
    in_order = sorted(in_file, key=lambda item: item["published"])  # ties keep the file's order
    assert [line["id"] for line in lines] == [item["id"] for item in in_order]
    assert all(set(line) == {"id", "story", "first"} for line in lines)
    firsts = [line["story"] for line in lines if line["first"]]
    assert len(firsts) == len(set(firsts)) == len({line["story"] for line in lines})


def test_cluster_reads_stdin_and_takes_the_options(newsmon_cmd: list[str]) -> None:
    """Two copies an hour apart: one story at --window 2h, two at --window 30m."""
    copy = {"source": "Reuters", "title": "Russia says troops return", "summary": "Moscow says."}
    text = "\n".join(
        json.dumps({**copy, "id": f"c{n}", "published": f"2026-02-15T1{n}:00:00Z"}) for n in (0, 1)
    )
    kept = run(newsmon_cmd, "-", "--window", "2h", stdin=text)
    apart = run(newsmon_cmd, "-", "--window", "30m", "--threshold", "0.9", stdin=text)
    assert kept.returncode == 0 == apart.returncode, kept.stderr + apart.stderr
    assert [json.loads(line)["first"] for line in kept.stdout.splitlines()] == [True, False]
    assert [json.loads(line)["first"] for line in apart.stdout.splitlines()] == [True, True]


def test_bad_lines_are_refused_each_named_and_nothing_is_printed(
    newsmon_cmd: list[str], tmp_path: Path
) -> None:
    good = {
        "id": "a",
        "source": "x",
        "published": "2026-01-01T00:00:00Z",
        "title": "t",
        "summary": "",
    }
    lines = [
        json.dumps(good),
        "not json",
        json.dumps({**good, "id": "b", "published": "yesterday"}),
        "",
        json.dumps({k: v for k, v in good.items() if k != "source"} | {"id": "c"}),
        json.dumps({**good, "id": "d", "title": 7}),
        json.dumps({**good, "id": "e", "lang": ["en"]}),
        json.dumps(good),
    ]
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ran = run(newsmon_cmd, str(path))
    assert ran.returncode == 2 and ran.stdout == ""
    err = ran.stderr
    assert f"{path}: 6 bad lines, nothing clustered" in err
    for expected in (
        f"{path}:2: not JSON",
        f"{path}:3: published: 'yesterday' is not an ISO 8601 time",
        f"{path}:5: source: missing",
        f"{path}:6: title: must be a string, not int",
        f"{path}:7: lang: must be a string or null, not list",
        f"{path}:8: id: 'a' is already on line 1",
    ):
        assert expected in err, err


def test_many_bad_lines_are_listed_up_to_twenty(newsmon_cmd: list[str]) -> None:
    ran = run(newsmon_cmd, "-", stdin="[1]\n" * 25)
    assert ran.returncode == 2 and ran.stdout == ""
    assert "<stdin>: 25 bad lines" in ran.stderr
    assert "<stdin>:20: not a JSON object" in ran.stderr
    assert "<stdin>:21:" not in ran.stderr and "... and 5 more bad lines" in ran.stderr


def test_missing_file_and_bad_options_exit_2(newsmon_cmd: list[str], tmp_path: Path) -> None:
    missing = run(newsmon_cmd, str(tmp_path / "none.jsonl"))
    assert missing.returncode == 2 and "none.jsonl: no such file" in missing.stderr
    window = run(newsmon_cmd, str(SET), "--window", "soon")
    assert window.returncode == 2 and "--window 'soon'" in window.stderr
    threshold = run(newsmon_cmd, str(SET), "--threshold", "1.5")
    assert threshold.returncode == 2 and "--threshold: must be more than 0" in threshold.stderr
    assert window.stdout == threshold.stdout == ""
