"""What is not an update: promo and related-link lines, summaries, bylines, ads, share bars.

Line rules work on normalised text (straight quotes, "-" for every dash), so the same rule
serves plain-text pages, markup blocks and JSON-LD bodies alike.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

_KICKER = re.compile(r"^[A-Z' \-]{6,}:")
_BULLET_MARK = re.compile(r"^[►•▶➤▸]")
_PROMO_PREFIX = re.compile(
    r"^(?:more|related|read more|see also|also read|watch|listen|opinion|analysis|"
    r"live updates|prep for the polls|sign up|subscribe|newsletter)\s*:",
    re.IGNORECASE,
)
_EXPLAINED = re.compile(r"^\S.{0,60}?\bexplained\s*:", re.IGNORECASE)
_HERES_WHAT = re.compile(r"\bhere's (?:what|how|why|who|where|when)\b[^.!?]*[.!?]?$", re.I)
# A related-link title glued to its kicker ("explained:Inside") or made of two clauses
# ("What is a false flag? US says ..."): a real update headline is one clause.
_GLUED = re.compile(r"[a-z]:[A-Z]|\?\s+[A-Z][^.!?]*$")
_SUMMARY_HEADER = re.compile(
    r"^(?:latest developments|key events|key updates|what we know(?: so far)?|"
    r"summary|catch up|the latest|in brief)\s*:?$",
    re.IGNORECASE,
)
_DISPLAY_TIME = re.compile(
    r"^(?:updated\s+)?\d{1,2}[:.]\d{2}(?:\s*-\s*\d{1,2}(?:[:.]\d{2})?)?\s*(?:[ap]\.?\s?m\.?)?"
    r"(?:\s*(?:ET|EST|EDT|CT|PT|GMT|BST|UTC|CET|CEST|MEZ|MESZ))?$",
    re.IGNORECASE,
)
_NAME = r"[A-Z][\w.'-]*"
_NAME_LINK = r"(?:\s+(?:de|da|del|van|von|der|la|le|bin|al|and)|[\s,]+" + _NAME + r")"
_DASH_BYLINE = re.compile(r"^-\s*(" + _NAME + _NAME_LINK + r"{1,5})\s*$")
_BY_BYLINE = re.compile(r"^By\s+(" + _NAME + _NAME_LINK + r"{0,7})\s*$")
_CREDITS = re.compile(
    r"^(?:Contributing(?: reporting)?|Contributors?|Additional reporting(?: by)?)\s*:?\s+(.+)$"
)
_SLOT_LABEL = re.compile(
    r"^(?:(?:load|show|see|view)\s+(?:more|all|older|earlier|newer)(?:\s+(?:updates|posts|entries))?|"
    r"more updates|older posts|advertisements?|advert|sponsored(?: content)?|ad|anzeige|werbung|"
    r"reklama|publicit[ée]|publicidad|pubblicit[àa]|реклама|mehr laden|weitere eintr[äa]ge|"
    r"charger plus|cargar m[áa]s|zobacz wi[ęe]cej|показать ещ[её]|завантажити ще)$",
    re.IGNORECASE,
)
_SCORE = re.compile(r"\b\d{1,3}\s*[:\-–]\s*\d{1,3}\b")
_NAME_LINE = re.compile(_NAME + _NAME_LINK + r"{1,4}$")
_BULLET = re.compile(r"^[-*►•▶➤▸]\s")
_CLOSING = frozenset(".,;:!…\"'")

_NOISE_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "iframe", "button", "aside", "nav"}
    | {"form", "figure", "select", "input", "footer", "header", "time", "object", "embed"}
)
NOISE_TAGS = _NOISE_TAGS  # elements that are noise by their tag alone, whatever they hold
_NOISE_CLASS = re.compile(
    r"(?:^|[-_])(?:share|sharing|social|ad|ads|advert|advertisement|adslot|promo|related|"
    r"newsletter|sponsored|outbrain|taboola|comments?|hidden|sr-only|"
    r"time|timestamp|date|dateline|published|updated|byline|author|authors|contributor)s?(?:$|[-_])",
    re.IGNORECASE,
)
_SUMMARY_CLASS = re.compile(
    r"(?:^|[-_])(?:summary|keyevents|key-events|spotlight|highlights|intro)(?:$|[-_])",
    re.IGNORECASE,
)
_BYLINE_CLASS = re.compile(r"(?:^|[-_])(?:byline|author|authors|contributor)s?(?:$|[-_])", re.I)


def is_promo(line: str) -> bool:
    """A promo, related-link or kicker line that is never part of an update."""
    if _KICKER.match(line) or _BULLET_MARK.match(line) or _PROMO_PREFIX.match(line):
        return True
    if _EXPLAINED.match(line):
        return True
    short = len(line.split()) <= 30
    return short and bool(_HERES_WHAT.search(line) or (headline_like(line) and _GLUED.search(line)))


def is_summary_header(line: str) -> bool:
    """The header of a key-events or latest-developments list."""
    return bool(_SUMMARY_HEADER.match(line))


def is_display_time(line: str) -> bool:
    """A display-only time line ("10:11 a.m. ET"): never a time source, never text."""
    return bool(_DISPLAY_TIME.match(line))


def is_label(line: str) -> bool:
    """A flag set on an update in capitals ("KEY EVENT", "BREAKING", "PINNED"), not text."""
    words = line.split()
    return 0 < len(words) <= 3 and line.isupper() and all(w.isalpha() for w in words)


def looks_like_name(line: str) -> bool:
    """A person's name: two to five capitalised words and nothing else."""
    return bool(_NAME_LINE.match(line)) and not is_label(line)


def is_slot_label(text: str) -> bool:
    """The whole text of an ad or "load more" slot ("Advertisement", "Load more updates")."""
    return bool(_SLOT_LABEL.match(text.strip().rstrip(".…:"))) and len(text) < 40


def is_bullet(line: str) -> bool:
    """A line set as a bullet ("- ", "► ", "• ")."""
    return bool(_BULLET.match(line))


def byline_of(line: str) -> str | None:
    """The name in a byline line ("- Maureen Groppe", "By Jane Doe"), else None."""
    match = _DASH_BYLINE.match(line) or _BY_BYLINE.match(line)
    return match.group(1).strip(" ,") if match else None


def credits_of(line: str) -> str | None:
    """The names in a credits line ("Contributing: ..."), else None."""
    match = _CREDITS.match(line)
    if not match or len(line.split()) > 30:
        return None
    return match.group(1).strip()


def is_numeric_line(line: str) -> bool:
    """A line of digits, scores or results ("57 : 33", "8 +2", "Leszno 45:45 Falubaz"): a
    table or scoreboard row, never an update's headline."""
    letters = sum(ch.isalpha() for ch in line)
    if letters * 2 < len(line.replace(" ", "")):
        return True
    return bool(_SCORE.search(line)) and len(line.split()) <= 6


def headline_like(line: str) -> bool:
    """Short, starts with a capital or digit, has no closing punctuation, and is not a line
    of digits or scores."""
    count = len(line.split())
    if not 2 <= count <= 20 or len(line) > 160 or line[-1] in _CLOSING:
        return False
    if is_numeric_line(line):
        return False
    first = line[0]
    return (first.isalpha() and first.isupper()) or first.isdigit()


def is_noise_element(el: HtmlElement) -> bool:
    """Ads, share bars, asides, embeds, times and bylines: never part of a block's text."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if not tag or tag in _NOISE_TAGS or el.get("hidden") is not None:
        return True
    if el.get("aria-hidden") == "true" or el.get("rel") == "author":
        return True
    if el.get("itemprop") in ("author", "datePublished", "dateModified"):
        return True
    if any(name.startswith("data-ad") for name in el.attrib):
        return True
    return any(_NOISE_CLASS.search(token) for token in _classes(el)) or is_summary_element(el)


def is_summary_element(el: HtmlElement) -> bool:
    """A summary, key-events or intro element (``ol.lx-c-summary-points``, ``.is-summary``)."""
    tokens = [*_classes(el), el.get("id") or "", el.get("data-component") or ""]
    return any(_SUMMARY_CLASS.search(token) for token in tokens if token)


def is_byline_element(el: HtmlElement) -> bool:
    """An element holding a block's author."""
    if el.get("rel") == "author" or el.get("itemprop") == "author":
        return True
    return any(_BYLINE_CLASS.search(token) for token in _classes(el))


def _classes(el: HtmlElement) -> list[str]:
    value = el.get("class")
    return value.split() if value else []
