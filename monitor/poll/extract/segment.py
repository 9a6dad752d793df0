"""Splitting a run of paragraphs into update blocks at headlines, for pages without ids.

Shared by the heading-split and plain-text extractors so both read a page the same way.
Paragraphs before the first headline are the page's intro (its standfirst and summary
bullets), not an update, and are dropped; a headline followed by no body paragraph is a
related-link title, not an update, and is dropped too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.models import Block
from monitor.poll.extract import body, noise
from monitor.poll.extract.tree import Para


@dataclass(slots=True)
class _Section:
    headline: str
    time: str | None
    paras: list[Para] = field(default_factory=list)


def split(paras: Iterable[Para], *, guess: bool, extractor: str) -> list[Block]:
    """Blocks from paragraphs; ``guess`` finds headlines among plain lines (no headings)."""
    sections: list[_Section] = []
    current: _Section | None = None
    pending: str | None = None
    for para in paras:
        if para.time is not None:
            if current is not None and not current.paras:
                current.time = current.time or para.time
            else:
                pending = para.time
        elif para.text and _starts_section(para, guess):
            current = _Section(para.text, pending)
            sections.append(current)
            pending = None
        elif para.text and current is not None:
            current.paras.append(para)
    blocks = (_block(section, guess, extractor) for section in sections)
    return [block for block in blocks if block is not None]


def _starts_section(para: Para, guess: bool) -> bool:
    line = para.text
    if noise.is_promo(line) or noise.is_summary_header(line) or para.links > 0.5:
        return False
    if para.heading:
        return not noise.is_numeric_line(line)
    if not guess or para.item or noise.byline_of(line) or noise.credits_of(line):
        return False
    return noise.headline_like(line) and not noise.is_display_time(line)


def _block(section: _Section, guess: bool, extractor: str) -> Block | None:
    parts = body.build(section.paras, drop_headline_like=not guess)
    if not parts.text:
        return None
    return Block(
        id=None,
        headline=section.headline,
        text=parts.text,
        published=section.time,
        byline=parts.byline,
        credits=parts.credits,
        extractor=extractor,
    )
