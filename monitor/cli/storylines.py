"""``newsmon subscribe --stories``: a story as one line when it starts, then a short line as
outlets join it ("+3 outlets: reuters, ap, dw"), instead of one full alert per copy.

The rule for joins: the first join of a story opens a group, and ``GATHER`` seconds later
(by the subscriber's clock, when it read the alerts) the group is printed as one line with
every join of that story read meanwhile. A burst of copies (one poll cycle, a replay, a read
batch) is one line, a story that keeps growing prints at most one line per ``GATHER`` s, and
no line waits longer than that. The first alert of a story this subscriber shows opens it
with a line of its own even when it is not the story's first report (the first was filtered
out, or came before ``--replay`` reached back): it says how many outlets came before.

Alerts without ``story`` (edits, removals, stories turned off) are not taken here: the
caller prints them as ``subscribe`` always does. Pure: the caller passes the clock.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from monitor import render

GATHER = 2.0  # seconds a group of joins waits for more of the same story
KNOWN = 10_000  # stories remembered (their headline and outlets), the oldest forgotten first

Alert = dict[str, Any]


@dataclass
class _Story:
    """What this subscriber has shown of one story."""

    headline: str
    sources: set[str] = field(default_factory=set)


@dataclass
class _Group:
    """Joins of one story read within ``GATHER`` s of the first of them."""

    due: float
    alerts: list[Alert] = field(default_factory=list)


def story_of(alert: Alert) -> dict[str, Any] | None:
    """The alert's ``story`` when it has a usable one (an object with a string id)."""
    story = alert.get("story")
    if isinstance(story, dict) and isinstance(story.get("id"), str):
        return story
    return None


class StoryLines:
    """Turns alerts that belong to stories into lines: text, or JSON with ``as_json``."""

    def __init__(self, as_json: bool = False, gather: float = GATHER) -> None:
        self.as_json, self.gather = as_json, gather
        self.known: OrderedDict[str, _Story] = OrderedDict()
        self.groups: dict[str, _Group] = {}

    def take(self, alert: Alert, now: float) -> list[str] | None:
        """The lines to print now for ``alert`` (a story's opening line, or none while a
        join waits in its group); None when it has no story and is printed as it is."""
        story = story_of(alert)
        if story is None:
            return None
        seen = self.known.get(story["id"])
        if seen is None:
            self._remember(story["id"], _Story(render.headline(alert), {_source(alert)}))
            return [self._opening(alert, story)]
        self.known.move_to_end(story["id"])
        group = self.groups.setdefault(story["id"], _Group(now + self.gather))
        group.alerts.append(alert)
        return []

    def next_due(self) -> float | None:
        """When the next group is due (the clock ``take`` was given), None with none open."""
        return min((g.due for g in self.groups.values()), default=None)

    def due(self, now: float) -> list[str]:
        """The lines of the groups due by ``now``, oldest first."""
        ready = sorted((g.due, sid) for sid, g in self.groups.items() if g.due <= now)
        return [self._joined(sid, self.groups.pop(sid).alerts) for _, sid in ready]

    def flush(self) -> list[str]:
        """Every open group's line, due or not (at exit: nothing taken goes unprinted)."""
        return self.due(float("inf"))

    def _remember(self, story_id: str, story: _Story) -> None:
        self.known[story_id] = story
        while len(self.known) > KNOWN:
            old, _ = self.known.popitem(last=False)
            self.groups.pop(old, None)

    def _opening(self, alert: Alert, story: dict[str, Any]) -> str:
        if self.as_json:
            return json.dumps(alert, ensure_ascii=False)
        url = render.link(alert)
        where = f"  {url}" if url else ""
        head = f"{alert.get('detected_at', '')}  {'new story' if story.get('first') else 'story'}"
        line = f"{head}  [{_source(alert)}]  {render.headline(alert) or '(untitled)'}{where}"
        if story.get("first"):
            return f"{line}  ({story['id']})"
        return f"{line}  ({story['id']}: {_so_far(story)})"

    def _joined(self, story_id: str, alerts: list[Alert]) -> str:
        seen = self.known.get(story_id) or _Story("")
        names = list(dict.fromkeys(_source(a) for a in alerts))
        new = [n for n in names if n not in seen.sources]
        again = [n for n in names if n in seen.sources]
        seen.sources.update(names)
        story = story_of(alerts[-1]) or {"id": story_id}
        if self.as_json:
            return _joined_json(story, new, again, alerts)
        total = story.get("sources")
        counted = f", {total} outlets in all" if isinstance(total, int) else ""
        what = _outlets(new, again, sum(_source(a) in again for a in alerts))
        when = alerts[-1].get("detected_at", "")
        return f"{when}  {what}  {seen.headline or '(untitled)'}  ({story_id}{counted})"


def _outlets(new: list[str], again: list[str], repeats: int) -> str:
    """What joined, e.g. "+3 outlets: reuters, ap, dw", with the ``repeats`` of outlets that
    had reported the story already ("+1 outlet: dw (2 more from ap)")."""
    said = f"+{len(new)} outlet{'' if len(new) == 1 else 's'}: {', '.join(new)}" if new else ""
    more = f"{repeats} more from {', '.join(again)}" if again else ""
    return f"{said} ({more})" if said and more else said or f"+{more}"


def _joined_json(
    story: dict[str, Any], new: list[str], again: list[str], alerts: list[Alert]
) -> str:
    """A group as one JSON object: the story as its last alert had it, the outlets new to it,
    those that reported it again, and the ids of the alerts."""
    line = {"type": "story.joined", "story": story, "outlets": new, "again": again,
            "alerts": [a.get("id") for a in alerts],
            "detected_at": alerts[-1].get("detected_at")}  # fmt: skip
    return json.dumps(line, ensure_ascii=False)


def _source(alert: Alert) -> str:
    return str(alert.get("source", ""))


def _so_far(story: dict[str, Any]) -> str:
    count = story.get("sources")
    outlets = f"{count} outlets" if isinstance(count, int) else "joins a story"
    first = story.get("first_source")
    when = story.get("first_seen")
    return f"{outlets}, first: {first} at {when}" if first else outlets
