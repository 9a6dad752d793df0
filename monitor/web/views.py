"""What the pages show of an alert or a source, in words a reader knows: times labelled with
their zone, one passage per sentence, an edit marked in its text, health in plain words.
static/newsmon.js does the same for the cards it adds live; keep the two in step."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

from monitor import render

EDIT_CONTEXT = 160  # characters of text a wall card shows either side of an edit
HEALTH = {
    "baseline": "first poll (baseline): alerts start with the next change",
    "changed": "changed: alerts sent",
    "ok": "changed, nothing to alert",
    "unchanged": "no change since last poll",
    "not_modified": "not modified since last poll",
    "failed": "failing",
    "failing": "failing",
    "gone": "gone: the publisher removed it",
    "disabled": "disabled",
}
_BREAK_AFTER = re.compile(r"(://|[/?&#])")


def time_tag(stamp: str | None) -> Markup:
    """A ``<time>`` showing a UTC time with its zone, the full ISO time on hover (the page
    script rewrites it in the reader's own zone)."""
    if not stamp:
        return Markup("")
    moment = _moment(stamp)
    if moment is None:
        return Markup('<time datetime="{0}" title="{0}">{0}</time>').format(stamp)
    iso = stamp if stamp.endswith("Z") else moment.isoformat().replace("+00:00", "Z")
    # Two spans that wrap only between them: a date cut at its hyphens is hard to read.
    return Markup(
        '<time datetime="{0}" title="{0}"><span>{1}</span> <span>{2} UTC</span></time>'
    ).format(iso, f"{moment:%Y-%m-%d}", f"{moment:%H:%M:%S}")


def _moment(stamp: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


def excerpts(alert: dict[str, Any]) -> list[str]:
    """The matched passages (all terms together, each once), or else the start of the text."""
    found = alert.get("snippets")
    if found is None:  # an alert written before the joint snippets: at least no repeats
        found = list(dict.fromkeys(s for t in alert.get("terms", []) for s in t["snippets"]))
    body = render.opening(alert, 240)
    return found[:3] if found else [body] if body else []


def edit_pieces(alert: dict[str, Any], context: int | None = None) -> list[tuple[str, str]]:
    """An edited block's text as (kind, text) pieces, kind "" for kept text, "ins" for words
    added and "del" for words removed; with ``context``, only that much either side of the
    changes. Empty when the alert does not place its edit (``edit.marks``)."""
    marks = (alert.get("edit") or {}).get("marks") or []
    text = (alert.get("block") or {}).get("text") or ""
    if not marks:
        return []
    lo, hi = (0, len(text)) if context is None else _around(text, marks, context)
    pieces = [("", "…")] if lo else []
    cursor = lo
    for mark in marks:
        pieces += [("", text[cursor : mark["start"]]), ("del", mark["removed"])]
        pieces.append(("ins", text[mark["start"] : mark["end"]]))
        cursor = mark["end"]
    pieces.append(("", text[cursor:hi] + ("…" if hi < len(text) else "")))
    return [(kind, part) for kind, part in pieces if part]


def _around(text: str, marks: list[dict[str, Any]], context: int) -> tuple[int, int]:
    """``context`` characters either side of the marks, cut at spaces, not inside words."""
    lo = max(marks[0]["start"] - context, 0)
    hi = min(marks[-1]["end"] + context, len(text))
    space = text.find(" ", lo, marks[0]["start"]) if lo else -1
    space_after = text.rfind(" ", marks[-1]["end"], hi) if hi < len(text) else -1
    return space + 1 if space >= 0 else lo, space_after if space_after >= 0 else hi


def health(row: dict[str, Any]) -> str:
    """A source's health in plain words."""
    if row["disabled"]:
        return HEALTH["disabled"]
    if row["gone"]:
        return HEALTH["gone"]
    if row["failures"]:
        return HEALTH["failing"]
    status = row["last_status"]
    return HEALTH.get(status, status.replace("_", " ")) if status else "not polled yet"


def health_class(row: dict[str, Any]) -> str:
    """The word a row's style keys on."""
    if row["disabled"] or row["gone"]:
        return "disabled" if row["disabled"] else "gone"
    return "failing" if row["failures"] else "ok" if row["last_status"] else "new"


def url_breaks(url: str) -> Markup:
    """A URL that may wrap after a slash, ``?``, ``&`` or ``#``, not inside its host name."""
    return Markup("").join(
        Markup("{0}<wbr>").format(part) if _BREAK_AFTER.fullmatch(part) else escape(part)
        for part in _BREAK_AFTER.split(url)
    )
