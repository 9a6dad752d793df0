"""Short excerpts around matches, for alerts and the CLI: context either side, words marked.

Windows of ``width`` characters either side of each span are widened or narrowed to whole
words, windows that overlap are merged (so one snippet can mark several matches), and so are
the windows of spans at most ``BRIDGE`` widths apart: the words of one NEAR match come as
spans of their own, and a snippet cut between them showed half the match. The first ``limit``
windows are kept, matched text is wrapped in ``**``, "…" marks a cut, and a line break (as
between a headline and its text) is shown as " ¶ " so the two do not read as one sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SPACE = re.compile(r"\s+")
_BREAK = re.compile(r"\s*\n\s*")
ELLIPSIS = "…"
BREAK = " ¶ "
BRIDGE = 4  # spans this many widths apart share a window (NEAR/30 is about 200 characters)


def snippets(
    text: str, spans: Sequence[tuple[int, int]], *, width: int = 60, limit: int = 3
) -> list[str]:
    """Up to ``limit`` excerpts of ``text`` around ``spans``, matches marked as **word**."""
    marks = _clean(text, spans)
    if not marks or limit <= 0:
        return []
    windows = _windows(text, marks, max(width, 0))
    return [_render(text, window, marks) for window in windows[:limit]]


def _clean(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans clipped to the text, sorted, with overlapping ones merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((max(s, 0), min(e, len(text))) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _windows(text: str, marks: list[tuple[int, int]], width: int) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    previous = None
    for start, end in marks:
        lo = _word_start(text, max(start - width, 0), start)
        hi = _word_end(text, min(end + width, len(text)), end)
        near = previous is not None and start - previous <= BRIDGE * width
        previous = end
        if windows and (lo <= windows[-1][1] or near):
            windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
        else:
            windows.append((lo, hi))
    return windows


def _word_start(text: str, lo: int, limit: int) -> int:
    """Move ``lo`` forward past a cut word, but never past ``limit``."""
    if lo == 0 or text[lo - 1].isspace():
        return lo
    space = _SPACE.search(text, lo, limit)
    return space.end() if space else lo  # no space at all (e.g. Chinese): cut mid-run


def _word_end(text: str, hi: int, limit: int) -> int:
    """Move ``hi`` back before a cut word, but never before ``limit``."""
    if hi == len(text) or text[hi].isspace():
        return hi
    cut = hi
    while cut > limit and not text[cut - 1].isspace():
        cut -= 1
    return cut if cut > limit else hi


def _render(text: str, window: tuple[int, int], marks: list[tuple[int, int]]) -> str:
    lo, hi = window
    parts: list[str] = []
    cursor = lo
    for start, end in marks:
        if start >= lo and end <= hi:
            parts += [text[cursor:start], "**", text[start:end], "**"]
            cursor = end
    parts.append(text[cursor:hi])
    body = _SPACE.sub(" ", _BREAK.sub(BREAK, "".join(parts).strip()))
    head = ELLIPSIS if text[:lo].strip() else ""
    tail = ELLIPSIS if text[hi:].strip() else ""
    return f"{head}{body}{tail}"
