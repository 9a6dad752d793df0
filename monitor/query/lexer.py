"""Splits a query into lexemes: parentheses, operators, words and quoted phrases.

Operators are upper-case only (``AND``, ``OR``, ``NOT``, ``NEAR/n``, ``ONEAR/n``), as in the
media-monitoring tools people already know; ``and``, ``or``, ``not`` and ``near`` are plain words.
Anything that looks like an operator but is not one (``NEAR6``, ``W/5``, ``NEAR/x``, ``near/5``)
is an error rather than a word, because silently matching it as text is never what was meant.
Braces and bars make alias groups (``{Kyiv|Kiev}``); ``title:``, ``source:`` and ``lang:`` in
front of a term are field scopes (lower-case, like the operators' upper case: ``Title:`` is
text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from monitor.errors import QueryError

MAX_DISTANCE: Final = 100

LPAREN: Final = "("
RPAREN: Final = ")"
AND: Final = "AND"
OR: Final = "OR"
NOT: Final = "NOT"
NEAR: Final = "NEAR"
ONEAR: Final = "ONEAR"
WORD: Final = "word"
PHRASE: Final = "phrase"
LBRACE: Final = "{"
RBRACE: Final = "}"
PIPE: Final = "|"
FIELD: Final = "field"
END: Final = "end"
FIELDS: Final = ("title", "source", "lang")

_OPENING_QUOTES = '"\u201c\u201e\u201f'
_CLOSING_QUOTES = '"\u201d\u201c'
_STOPS = frozenset(' \t\r\n\f\v(){}|"\u201c\u201d\u201e\u201f\u00a0')
_FIELD = re.compile(r"(title|source|lang):(.*)", re.DOTALL)
_NEAR = re.compile(r"(O?NEAR)(?:/(.*))?")
_GLUED_NEAR = re.compile(r"(O?NEAR)(\d+)", re.IGNORECASE)
_SLASHED = re.compile(r"([A-Za-z]+)/(\d*)|(near|onear|w|pre|within|adj)/(.*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Lexeme:
    """One unit of a query: ``kind`` is an operator name, WORD, PHRASE, a parenthesis or END."""

    kind: str
    text: str
    column: int
    distance: int = 0


def lex(query: str) -> Iterator[Lexeme]:
    """The lexemes of ``query``, ending with an END lexeme; QueryError on a malformed one."""
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "(){}|":
            yield Lexeme(ch, ch, i + 1)
            i += 1
        elif ch in _OPENING_QUOTES or ch == "\u201d":
            lexeme, i = _phrase(query, i)
            yield lexeme
        else:
            j = i
            while j < n and query[j] not in _STOPS and not query[j].isspace():
                j += 1
            yield from _barewords(query, query[i:j], i + 1)
            i = j
    yield Lexeme(END, "", n + 1)


def _phrase(query: str, start: int) -> tuple[Lexeme, int]:
    end = start + 1
    while end < len(query) and query[end] not in _CLOSING_QUOTES:
        end += 1
    if end >= len(query):
        raise QueryError("this quote is never closed", query=query, column=start + 1)
    body = query[start + 1 : end]
    if not body.strip():
        raise QueryError(
            'empty phrase "": put words between the quotes', query=query, column=start + 1
        )
    return Lexeme(PHRASE, body, start + 1), end + 1


def _barewords(query: str, word: str, column: int) -> Iterator[Lexeme]:
    """A bare word, or a field scope and the word glued to it (``title:sanctions``)."""
    field = _FIELD.fullmatch(word)
    if field is None:
        yield _bareword(query, word, column)
        return
    name, rest = field.groups()
    yield Lexeme(FIELD, name, column)
    if rest:
        yield _bareword(query, rest, column + len(name) + 1)


def _bareword(query: str, word: str, column: int) -> Lexeme:
    if word in (AND, OR, NOT):
        return Lexeme(word, word, column)
    near = _NEAR.fullmatch(word)
    if near:
        return Lexeme(near.group(1), word, column, _distance(query, near, column))
    _refuse_lookalike(query, word, column)
    return Lexeme(WORD, word, column)


def _distance(query: str, near: re.Match[str], column: int) -> int:
    op, raw = near.group(1), near.group(2)
    if raw is None:
        message = f"{op} needs a distance in words, like {op}/5"
        raise QueryError(message, query=query, column=column)
    if not raw.isascii() or not raw.isdigit():
        message = f"{op} needs a whole number of words after the slash, like {op}/5, not {raw!r}"
        raise QueryError(message, query=query, column=column + len(op) + 1)
    value = int(raw)
    if not 1 <= value <= MAX_DISTANCE:
        message = f"{op}/{raw}: the distance must be from 1 to {MAX_DISTANCE} words"
        raise QueryError(message, query=query, column=column + len(op) + 1)
    return value


def _refuse_lookalike(query: str, word: str, column: int) -> None:
    glued = _GLUED_NEAR.fullmatch(word)
    if glued:
        op = glued.group(1).upper()
        message = (
            f"unknown operator {word!r}: write {op}/{glued.group(2)} (upper-case, with a slash)"
        )
        raise QueryError(message, query=query, column=column)
    slashed = _SLASHED.fullmatch(word)
    if slashed:
        name = (slashed.group(1) or slashed.group(3)).upper()
        raw = slashed.group(2) if slashed.group(1) else slashed.group(4)
        op = "ONEAR" if name in ("ONEAR", "PRE") else "NEAR"
        hint = f"{op}/{raw}" if raw.isdigit() else f"{op}/5"
        message = f"unknown operator {word!r}: proximity is NEAR/n or ONEAR/n, e.g. {hint}"
        raise QueryError(message, query=query, column=column)
    if word.startswith("-") and len(word) > 1 and word[1].isalnum():
        message = f"{word!r}: a leading '-' does not exclude; write NOT {word[1:]}"
        raise QueryError(message, query=query, column=column)
