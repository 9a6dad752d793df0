"""Numbers written next to a matched word: "130,000 troops", "troops: 150,000", "$40 billion in
sanctions".

Rule: a number directly before or after the matched word or phrase, or with exactly one other
word in between; an adjacent number wins over one a word away, and before wins over after. A
number is digits (with "," or "." inside), optionally preceded by a currency sign, followed by
"%" or by a scale word (thousand, million, bn, ...). A bare year (1900-2099) is not a number
here, and nothing is taken across a sentence end (. ! ? ; or a line break).
"""

from __future__ import annotations

import re

from monitor.query.evaluate import Context, Interval

_NUMBER = re.compile(r"\d[\d.,]*(?:bn|mn|m|k)?")
_YEAR = re.compile(r"(?:19|20)\d\d")
_SCALES = frozenset(
    {
        "hundred",
        "thousand",
        "million",
        "billion",
        "trillion",
        "bn",
        "mn",
        "mln",
        "m",
        "k",
        "percent",
    }
)
_SENTENCE_END = re.compile(r"[.!?;\n]")
_CURRENCY = "$€£¥₹₽"
NumberSpan = tuple[int, int]


def numbers_for(ctx: Context, intervals: list[Interval]) -> tuple[tuple[str, str], ...]:
    """(number as written, matched word) for each matched interval that has a number by it."""
    found: dict[tuple[str, str], None] = {}
    for interval in intervals:
        pair = _number_by(ctx, interval)
        if pair is not None:
            found.setdefault(pair, None)
    return tuple(found)


def _number_by(ctx: Context, interval: Interval) -> tuple[str, str] | None:
    first, last = interval
    for gap in (0, 1):
        before = _number_ending(ctx, first - 1 - gap)
        if before is not None and _joined(ctx, before[1], first, gap):
            return _written(ctx, before), _word(ctx, first)
        after = _number_starting(ctx, last + 1 + gap)
        if after is not None and _joined(ctx, last, after[0], gap):
            return _written(ctx, after), _word(ctx, last)
    return None


def _is_number(ctx: Context, pos: int) -> bool:
    if not 0 <= pos < len(ctx.forms):
        return False
    form = ctx.forms[pos]
    return _NUMBER.fullmatch(form) is not None and _YEAR.fullmatch(form) is None


def _number_ending(ctx: Context, pos: int) -> NumberSpan | None:
    if _is_number(ctx, pos):
        return pos, pos
    if pos >= 1 and ctx.forms[pos] in _SCALES and _is_number(ctx, pos - 1):
        return pos - 1, pos
    return None


def _number_starting(ctx: Context, pos: int) -> NumberSpan | None:
    if not _is_number(ctx, pos):
        return None
    if pos + 1 < len(ctx.forms) and ctx.forms[pos + 1] in _SCALES:
        return pos, pos + 1
    return pos, pos


def _joined(ctx: Context, left: int, right: int, gap: int) -> bool:
    """Whether tokens ``left`` and ``right`` share a sentence, ``gap`` plain words apart."""
    if gap and _is_number(ctx, left + 1):
        return False
    between = ctx.text[ctx.span(left)[1] : ctx.span(right)[0]]
    return _SENTENCE_END.search(between) is None


def _written(ctx: Context, number: NumberSpan) -> str:
    start, end = ctx.span(number[0])[0], ctx.span(number[1])[1]
    if start > 0 and ctx.text[start - 1] in _CURRENCY:
        start -= 1
    if end < len(ctx.text) and ctx.text[end] == "%":
        end += 1
    return ctx.text[start:end]


def _word(ctx: Context, pos: int) -> str:
    start, end = ctx.span(pos)
    return ctx.text[start:end]
