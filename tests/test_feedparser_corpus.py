"""feedparser's own test feeds through ``newsmon run --once``: no internal error, same item counts.

The corpus is the ``tests/`` tree of the feedparser sdist of the installed version, fetched at
test time with ``pip download`` (skipped when pip cannot reach an index). Every file becomes a
``file://`` source of one real ``run --once`` with two parse workers, the mode in which an
unpicklable lxml error once came back as ``poll crashed``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from importlib.metadata import version
from pathlib import Path

import feedparser
import pytest

from tests.test_e2e import Newsmon

pytestmark = pytest.mark.e2e

PARTS = ("wellformed", "illformed", "encoding", "entities")
AGREEMENT = 0.98  # the floor the reliability issue sets; on feedparser 6.0.14 every feed agrees


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The feed files of feedparser's test suite, or a skip when the sdist cannot be had."""
    where = tmp_path_factory.mktemp("feedparser-sdist")
    wanted = f"feedparser=={version('feedparser')}"
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    try:
        got = subprocess.run([*cmd, "-d", str(where), wanted], capture_output=True, timeout=180)
    except subprocess.TimeoutExpired:
        pytest.skip("pip download of the feedparser sdist timed out")
    archives = list(where.glob("feedparser-*.tar.gz"))
    if got.returncode != 0 or not archives:
        pytest.skip(f"no feedparser sdist: {got.stderr.decode(errors='replace')[-300:]}")
    with tarfile.open(archives[0]) as tar:
        tar.extractall(where, filter="data")
    root = next(where.glob("feedparser-*/tests"))
    return sorted(p for part in PARTS for p in (root / part).rglob("*.xml"))


def poll_lines(stderr: str) -> dict[str, dict[str, object]]:
    """The canonical poll log line of each source."""
    lines = (json.loads(s) for s in stderr.splitlines() if s.startswith("{"))
    return {str(line["source"]): line for line in lines if line.get("event") == "poll"}


def test_feedparser_corpus_gives_no_internal_error_and_the_same_item_counts(
    corpus: list[Path], tmp_path: Path, prefix: str, redis_url: str, newsmon_cmd: list[str]
) -> None:
    names = {f"c{i:04d}": path for i, path in enumerate(corpus)}
    sources = "".join(
        f'[[sources]]\nname = "{name}"\nurl = "{path.as_uri()}"\nkind = "feed"\n'
        for name, path in names.items()
    )
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[redis]\nprefix = "{prefix}"\n\n[monitor]\ninterval = "1h"\nworkers = 2\n'
        f'data_dir = "{tmp_path / "data"}"\n\n{sources}',
        encoding="utf-8",
    )
    done = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url}).run(
        "run", "--once", timeout=600
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert "poll crashed" not in done.stderr
    assert "internal error" not in done.stderr
    polls = poll_lines(done.stderr)
    assert set(polls) == set(names)

    expected = {
        name: len(feedparser.parse(path.read_bytes()).entries) for name, path in names.items()
    }
    with_entries = [name for name, count in expected.items() if count]
    agreeing = [name for name in with_entries if polls[name].get("items") == expected[name]]
    share = len(agreeing) / len(with_entries)
    misses = {
        str(names[n].relative_to(corpus[0].parents[2])): (polls[n].get("items"), expected[n])
        for n in with_entries
        if n not in agreeing
    }
    assert len(with_entries) > 500
    assert share >= AGREEMENT, f"{len(agreeing)}/{len(with_entries)} agree; misses: {misses}"
