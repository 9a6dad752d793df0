"""From paragraphs to a block's text, byline and credits, shared by every extractor.

One definition of "what counts as an update's text" keeps the same block identical whether
it came from JSON-LD, markup, headings or plain text, so the diff never sees a phantom edit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.poll.extract import noise
from monitor.poll.extract.tree import Para

_LINK_DENSE = 0.5


@dataclass(frozen=True, slots=True)
class Body:
    """A block's text (paragraphs joined by newlines) and the attribution lines taken out."""

    text: str
    byline: str | None = None
    credits: str | None = None


def build(paras: Iterable[Para], *, drop_headline_like: bool = False) -> Body:
    """Keep the body paragraphs; lift bylines and credits out; drop promo and summary lines.

    ``drop_headline_like`` drops short unpunctuated lines too: in heading-split pages those
    are related-link titles, since real headlines are set as headings.
    """
    kept: list[str] = []
    byline: str | None = None
    credits: str | None = None
    in_summary = False
    for para in paras:
        line = para.text
        if not line:
            continue
        if in_summary and (para.item or noise.is_bullet(line)):
            continue
        in_summary = noise.is_summary_header(line)
        name = noise.byline_of(line)
        found = noise.credits_of(line)
        if name:
            byline = byline or name
        elif found:
            credits = found
        elif not in_summary and not _is_noise(para, drop_headline_like):
            kept.append(line)
    return Body("\n".join(kept), byline, credits)


def _is_noise(para: Para, drop_headline_like: bool) -> bool:
    line = para.text
    if para.links > _LINK_DENSE or noise.is_promo(line) or noise.is_display_time(line):
        return True
    if noise.is_label(line):
        return True
    return drop_headline_like and noise.headline_like(line) and not para.item


def from_text(text: str) -> Body:
    """A body from already plain text (a JSON-LD ``articleBody``), one paragraph a line."""
    return build(Para(line.strip()) for line in text.split("\n"))
