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

import re

from lxml.html import HtmlElement

from monitor.models import Block
from monitor.poll.extract import body, headings
from monitor.poll.extract.tree import Para, paragraphs

_LEAD = re.compile(
    r"^(?:updated\s+)?\d{1,2}[:.]\d{2}(?:\s*[ap]\.?\s?m\.?)?"
    r"(?:\s*(?:ET|EST|EDT|CT|PT|GMT|BST|UTC|CET|CEST|MEZ|MESZ))?[\s:,-]+(?=\S)",
    re.IGNORECASE,
)
_MIN_UPDATES = 3


def extract(root: HtmlElement) -> list[Block]:
    """Blocks of the main content's time-led paragraphs, in page order."""
    sections: list[tuple[str, list[Para]]] = []
    for para in paragraphs(headings.main_content(root), headings.skip):
        lead = _LEAD.match(para.text) if not para.heading else None
        if lead and len(para.text) > lead.end():
            label = para.text[: lead.end()].strip(" :,-")
            sections.append((label, [Para(para.text[lead.end() :], links=para.links)]))
        elif sections and para.text:
            sections[-1][1].append(para)
    if len(sections) < _MIN_UPDATES:
        return []
    blocks = (_block(label, section) for label, section in sections)
    return [block for block in blocks if block is not None]


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
