"""Updates set as paragraphs led by their display time ("16.06 AirAsia QZ8501 made…"), as
older live pages were written (Telegraph 2014), one run of paragraphs with no element per
update and no heading per update.

A paragraph that starts with a display time and goes on with text starts an update; the
paragraphs after it, up to the next such one, are its body. The time is display-only, never
a time source and never text, but it is the label the reader sees the update by, so it is
the block's headline: the diff then knows an entry that grew by a sentence as the same one.
Used when it finds more updates than the heading split.
"""

from __future__ import annotations

import itertools
import re

from lxml.html import HtmlElement

from monitor.models import Block
from monitor.poll.extract import body, headings, noise
from monitor.poll.extract.tree import Para, paragraphs

_LEAD = re.compile(
    r"^(?:updated\s+)?(?P<h>\d{1,2})[:.](?P<m>\d{2})(?:\s*[ap]\.?\s?m\.?)?"
    r"(?:\s*(?:ET|EST|EDT|CT|PT|GMT|BST|UTC|CET|CEST|MEZ|MESZ))?(?:\s*(?:Uhr|h|Uhr:))?[\s:,-]+(?=\S)",
    re.IGNORECASE,
)
_ANY_TIME = re.compile(r"(?<!\d)\d{1,2}[:.]\d{2}(?!\d)")
_MIN_UPDATES = 3
_MIN_WORDS = 6
_IN_ORDER = 0.8  # share of consecutive entries whose times run one way (newest first, or not)


def extract(content: HtmlElement) -> list[Block]:
    """Blocks of the time-led paragraphs of ``content``, the page's main content, in order."""
    if len(_ANY_TIME.findall(content.text_content())) < _MIN_UPDATES:
        return []  # too few times of day anywhere to lead three updates: skip the walk
    sections: list[tuple[str, list[Para]]] = []
    clock: list[int] = []
    for para in paragraphs(content, headings.skip):
        lead = _LEAD.match(para.text) if not para.heading else None
        minutes = _minutes(lead) if lead else None
        if lead and minutes is not None and _sentence(para.text[lead.end() :]):
            clock.append(minutes)
            label = para.text[: lead.end()].strip(" :,-")
            sections.append((label, [Para(para.text[lead.end() :], links=para.links)]))
        elif sections and para.text:
            sections[-1][1].append(para)
    if len(sections) < _MIN_UPDATES or not _in_order(clock):
        return []
    blocks = (_block(label, section) for label, section in sections)
    return [block for block in blocks if block is not None]


def _sentence(text: str) -> bool:
    """What follows the time reads as an update's opening words, not a label or a number."""
    return len(text.split()) >= _MIN_WORDS and not noise.is_numeric_line(text)


def _minutes(lead: re.Match[str]) -> int | None:
    """Minutes past midnight of a lead that is a time of day, else None ("12.99" is a price)."""
    hours, minutes = int(lead["h"]), int(lead["m"])
    return hours * 60 + minutes if hours < 24 and minutes < 60 else None


def _in_order(clock: list[int]) -> bool:
    """Whether the leads run in time order one way, as a live page's entries do (a list of
    prices or ratings does not); one turn past midnight is allowed."""
    pairs = list(itertools.pairwise(clock))
    down = sum(a >= b for a, b in pairs)
    up = sum(a <= b for a, b in pairs)
    return max(up, down) + 1 >= _IN_ORDER * len(pairs)


def _block(label: str, section: list[Para]) -> Block | None:
    parts = body.build(section)
    if not parts.text:
        return None
    return Block(
        id=None,
        headline=label,
        text=parts.text,
        byline=parts.byline,
        credits=parts.credits,
        extractor="timeline",
    )
