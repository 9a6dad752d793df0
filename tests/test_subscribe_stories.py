"""``newsmon subscribe --stories``: the grouping rule on a clock of the test's own, then the
command as a real process reading the session's Redis, with alerts that carry ``story`` as the
daemon will commit them (put on the stream here)."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from monitor.cli.storylines import GATHER, StoryLines
from tests.test_client import alert
from tests.test_e2e import Newsmon, stop_all, wait_for
from tests.test_web_api import put_all, typed

FIRST_SEEN = "2026-11-25T07:00:00.000Z"


def story_alert(
    n: int, source: str, story: str, sources: int, first_source: str = "wire"
) -> dict[str, Any]:
    """An item.new alert of story ``story``, its ``sources``-th outlet (the first when 1)."""
    made: dict[str, Any] = {**alert(n, source), "tier": 2}
    made["item"]["title"] = f"Troops return to bases ({source})"
    made["item"]["text"] = f"Some units are returning to their bases, {source} reports."
    made["story"] = {"id": story, "first": sources == 1, "sources": sources,
                     "first_source": first_source, "first_seen": FIRST_SEEN}  # fmt: skip
    return made


def test_a_story_opens_with_one_line_and_joins_close_together_make_one_more() -> None:
    lines = StoryLines()
    opening = lines.take(story_alert(1, "wire", "s-1", 1), now=0.0)
    assert opening == [
        f"{FIRST_SEEN}  new story  [wire]  Troops return to bases (wire)  https://x.example/1"
        "  (s-1)"
    ]
    assert lines.next_due() is None
    for n, source in enumerate(["reuters", "ap", "dw"], 2):
        assert lines.take(story_alert(n, source, "s-1", n), now=0.5 * n) == []
    assert lines.next_due() == 1.0 + GATHER  # from the first join, not the last
    assert lines.due(1.0 + GATHER - 0.01) == []
    assert lines.due(1.0 + GATHER) == [
        f"{FIRST_SEEN}  +3 outlets: reuters, ap, dw  Troops return to bases (wire)"
        "  (s-1, 4 outlets in all)"
    ]
    assert lines.next_due() is None
    lines.take(story_alert(5, "ap", "s-1", 4), now=10.0)  # ap again: no new outlet
    lines.take(story_alert(6, "bbc", "s-1", 5), now=10.1)
    (line,) = lines.flush()
    assert "+1 outlet: bbc (1 more from ap)  " in line and "(s-1, 5 outlets in all)" in line


def test_alerts_without_a_story_are_left_to_print_as_always() -> None:
    lines = StoryLines()
    for plain in (typed(1, "block.edited"), typed(2, "block.removed"), alert(3)):
        assert lines.take(plain, now=0.0) is None
    assert lines.take({**alert(4), "story": {"id": 7}}, now=0.0) is None  # not a usable story


def test_a_story_first_seen_after_its_first_report_says_how_far_it_got() -> None:
    """Its first report filtered out (``--source``) or before ``--replay`` reached back."""
    lines = StoryLines()
    (opening,) = lines.take(story_alert(3, "dw", "s-9", 3), now=0.0) or []
    assert opening.startswith(f"{FIRST_SEEN}  story  [dw]  ")
    assert opening.endswith(f"(s-9: 3 outlets, first: wire at {FIRST_SEEN})")


def test_stories_interleave_and_each_group_is_its_own_line() -> None:
    lines = StoryLines()
    lines.take(story_alert(1, "wire", "s-a", 1), now=0.0)
    lines.take(story_alert(2, "wire", "s-b", 1), now=0.0)
    lines.take(story_alert(3, "ap", "s-b", 2), now=1.0)
    lines.take(story_alert(4, "ap", "s-a", 2), now=1.5)
    first, second = lines.due(10.0)
    assert "+1 outlet: ap" in first and "(s-b, 2 outlets in all)" in first  # due first
    assert "(s-a, 2 outlets in all)" in second


def test_with_json_a_story_opens_with_its_alert_and_a_group_is_one_object() -> None:
    lines = StoryLines(as_json=True)
    first = story_alert(1, "wire", "s-1", 1)
    assert [json.loads(x) for x in lines.take(first, now=0.0) or []] == [first]
    lines.take(story_alert(2, "ap", "s-1", 2), now=0.1)
    lines.take(story_alert(3, "dw", "s-1", 3), now=0.2)
    (line,) = lines.flush()
    assert json.loads(line) == {
        "type": "story.joined", "story": story_alert(3, "dw", "s-1", 3)["story"],
        "outlets": ["ap", "dw"], "again": [], "alerts": [f"{2:032x}", f"{3:032x}"],
        "detected_at": FIRST_SEEN}  # fmt: skip


class Output:
    """A process's stdout lines, collected in a thread."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.proc = proc
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait(self, count: int, what: str) -> list[str]:
        wait_for(lambda: len(self.lines) >= count, what, 30, lambda: "\n".join(self.lines))
        return list(self.lines)


@pytest.mark.e2e
def test_subscribe_stories_prints_a_start_then_one_line_per_burst_of_outlets(
    tmp_path: Path, newsmon_cmd: list[str], redis_url: str, prefix: str
) -> None:
    """Live: the burst of two joins is printed while the subscriber waits (its group fell
    due, no alert came after it); an edit prints in full, as without --stories; the join
    still open when --count is reached is printed before it exits."""
    (tmp_path / "m.toml").write_text(f'[redis]\nprefix = "{prefix}"\n')
    nm = Newsmon(newsmon_cmd, tmp_path / "m.toml", {"NEWSMON_REDIS_URL": redis_url})
    put_all(redis_url, prefix, [story_alert(1, "wire", "s-1", 1)])
    sub = nm.start("subscribe", "--stories", "--replay", "1", "--count", "5")
    out = Output(sub)
    try:
        (opening,) = out.wait(1, "the story's opening line")
        assert "new story  [wire]" in opening and opening.endswith("(s-1)")
        put_all(redis_url, prefix, [story_alert(2, "ap", "s-1", 2), story_alert(3, "dw", "s-1", 3)])
        joined = out.wait(2, "the joins' line")[1]
        assert "  +2 outlets: ap, dw  Troops return to bases (wire)  (s-1, 3 outlets in all)" in (
            joined
        )
        put_all(redis_url, prefix, [typed(4, "block.edited"), story_alert(5, "bbc", "s-1", 4)])
        assert sub.wait(timeout=30) == 0
        out.thread.join(timeout=10)
    finally:
        stop_all([sub])
    edit = out.lines[2:-1]
    assert edit[0].startswith("2026-11-25T07:00:00.000Z  block.edited  [wire]  Block 4"), edit
    assert "    + new" in edit and "    - old" in edit  # in full, as without --stories
    assert "+1 outlet: bbc" in out.lines[-1] and "(s-1, 4 outlets in all)" in out.lines[-1]
    assert not [line for line in out.lines if "item.new" in line]  # no copy in full


@pytest.mark.e2e
def test_subscribe_stories_json_and_source_filter(
    tmp_path: Path, newsmon_cmd: list[str], redis_url: str, prefix: str
) -> None:
    """--json: a story's opening alert as it is, a group as one object; --source: the filter
    applies to each alert first, so a story whose first report was filtered out opens with
    the first alert the subscriber keeps."""
    (tmp_path / "m.toml").write_text(f'[redis]\nprefix = "{prefix}"\n')
    nm = Newsmon(newsmon_cmd, tmp_path / "m.toml", {"NEWSMON_REDIS_URL": redis_url})
    put_all(redis_url, prefix, [story_alert(1, "wire", "s-1", 1), story_alert(2, "ap", "s-1", 2),
                                story_alert(3, "dw", "s-1", 3), typed(4, "block.removed", "ap"),
                                story_alert(5, "ap", "s-1", 3)])  # fmt: skip
    ran = nm.run("subscribe", "--stories", "--json", "--replay", "5", "--count", "4",
                 "--source", "ap", "--source", "dw")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    printed = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [p.get("id") for p in printed[:2]] == [f"{2:032x}", f"{4:032x}"]  # ap opens, removal
    assert printed[0]["story"]["first"] is False
    assert printed[2] | {"story": None} == {
        "type": "story.joined", "story": None, "outlets": ["dw"], "again": ["ap"],
        "alerts": [f"{3:032x}", f"{5:032x}"], "detected_at": FIRST_SEEN}  # fmt: skip
    assert len(printed) == 3
