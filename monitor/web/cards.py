"""The wall's cards: an alert alone, or a story's alerts as one card (its first report in
full, "N outlets, first: SOURCE at TIME", the other reports listed, each expandable).

A story's card stands where its newest alert would: a story an outlet just joined comes to
the top, as the page script moves it when a joining alert arrives live. Alerts without a
story (edits, removals, stories off) are cards of their own. static/newsmon.js draws the
same cards for what arrives live; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor.web.filters import story_id

Entry = dict[str, Any]  # {"stream_id": …, "alert": …}, as the API answers


@dataclass
class Card:
    """One card of the wall: ``lead`` shown in full, and for a story the other reports."""

    lead: Entry
    story: str | None = None
    others: list[Entry] = field(default_factory=list)

    @property
    def entries(self) -> list[Entry]:
        return [self.lead, *self.others]

    @property
    def outlets(self) -> int:
        """Distinct sources of the story so far: the most any of its alerts says (the newest
        says the most), else the sources the card holds."""
        said = [s.get("sources") for s in map(_story, self.entries)]
        counts = [n for n in said if isinstance(n, int) and not isinstance(n, bool)]
        return max(counts, default=len({e["alert"].get("source") for e in self.entries}))

    @property
    def first_source(self) -> str:
        return str(_story(self.lead).get("first_source") or self.lead["alert"].get("source"))

    @property
    def first_seen(self) -> str:
        found = _story(self.lead).get("first_seen") or self.lead["alert"].get("detected_at")
        return str(found or "")


def cards(entries: list[Entry]) -> list[Card]:
    """The cards of ``entries`` (newest first), newest first."""
    found: list[Card] = []
    stories: dict[str, list[Entry]] = {}
    for entry in entries:
        sid = story_id(entry["alert"])
        if sid is None:
            found.append(Card(entry))
        elif sid in stories:
            stories[sid].append(entry)
        else:
            stories[sid] = [entry]
            found.append(Card(entry, sid))
    return [_story_card(card, stories[card.story]) if card.story else card for card in found]


def _story_card(card: Card, newest_first: list[Entry]) -> Card:
    """The story's first report leads (else the oldest of it shown); the others follow in
    the order they came."""
    in_order = newest_first[::-1]
    lead = next((e for e in in_order if _story(e).get("first") is True), in_order[0])
    return Card(lead, card.story, [e for e in in_order if e is not lead])


def _story(entry: Entry) -> dict[str, Any]:
    story = entry["alert"].get("story")
    return story if isinstance(story, dict) else {}
