"""Reading a request: the alert filters of a query string, JSON bodies, and the 400 that names
the field that was wrong."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, get_args

from aiohttp import web
from multidict import MultiMapping

from monitor.alerttypes import AlertType
from monitor.client import alert_filter
from monitor.store import is_stream_id

TYPES = frozenset(get_args(AlertType))


class BadRequest(web.HTTPBadRequest):
    """A 400 whose JSON body says what is wrong and with which field."""

    def __init__(self, message: str, field: str | None = None, **extra: Any) -> None:
        self.message, self.field = message, field
        body = {"error": message, "field": field, **extra}
        super().__init__(text=json.dumps(body), content_type="application/json")


class NotFound(web.HTTPNotFound):
    """A 404 with a JSON body."""

    def __init__(self, message: str) -> None:
        body = {"error": message, "field": None}
        super().__init__(text=json.dumps(body), content_type="application/json")


def alert_wanted(query: MultiMapping[str]) -> Callable[[dict[str, Any]], bool]:
    """The alert filter of ``?term=…&source=…&type=…&story=…`` (each repeatable; empty ones
    ignored)."""
    terms, names, types = (_values(query, key) for key in ("term", "source", "type"))
    unknown = sorted(set(types) - TYPES)
    if unknown:
        raise BadRequest(
            f"unknown alert type {unknown[0]!r}: one of {', '.join(sorted(TYPES))}", "type"
        )
    wanted = alert_filter(terms, names, types)
    stories = frozenset(_values(query, "story"))
    if not stories:
        return wanted
    return lambda alert: story_id(alert) in stories and wanted(alert)


def story_id(alert: dict[str, Any]) -> str | None:
    """The id of the story an alert belongs to, None when it has none (an edit, a removal,
    stories off, or an alert from before stories)."""
    story = alert.get("story")
    found = story.get("id") if isinstance(story, dict) else None
    return found if isinstance(found, str) else None


def stream_id(value: str | None, field: str) -> str | None:
    """A stream id from the request, checked as Redis would (None stays None)."""
    if value is not None and not is_stream_id(value):
        raise BadRequest("must be a stream id like 1732520000000-0", field)
    return value


def whole(value: object, field: str, low: int, high: int) -> int:
    """A whole number within bounds, from a query string or a JSON body."""
    try:
        number = int(str(value)) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None:
        raise BadRequest("must be a whole number", field)
    if not low <= number <= high:
        raise BadRequest(f"must be between {low} and {high}", field)
    return number


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("the body must be a JSON object", "body") from None
    except RecursionError:  # json.loads gives up on a few thousand nested [ or {
        raise BadRequest("the body is nested too deeply to read", "body") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", "body")
    return body


def text(body: Mapping[str, Any], field: str, default: str | None = None) -> str:
    """A string field that is not blank (or ``default`` when it is absent)."""
    value = body.get(field, default)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("is required: a string that is not empty", field)
    return value


def _values(query: MultiMapping[str], key: str) -> list[str]:
    return [v.strip() for raw in query.getall(key, []) for v in raw.split(",") if v.strip()]
