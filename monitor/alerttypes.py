"""Typed alerts: TypedDicts matching the alert JSON Schema (``monitor/schema``), for consumers
that want their type checker to know an alert's fields. An alert is plain JSON: these types
describe it, they do not wrap it."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

AlertType = Literal["item.new", "block.new", "block.edited", "block.removed"]


class Item(TypedDict):
    """The document (feed item or page) the change is in."""

    id: str
    url: str
    title: str
    text: NotRequired[str]  # item.new only: the whole item, cut at 20,000 characters
    published: NotRequired[str]  # item.new only, when the item says
    lang: NotRequired[str | None]  # item.new only: the language most of its blocks are in


class Block(TypedDict):
    """The update block that changed (for block.removed, as it was)."""

    id: str
    headline: str
    text: str
    published: str | None
    byline: NotRequired[str | None]
    credits: NotRequired[str | None]
    url: NotRequired[str | None]
    extractor: NotRequired[str | None]
    lang: NotRequired[str | None]  # ISO 639-1: the language its text was taken to be in


class NumberChange(TypedDict):
    """A number next to a keyword that changed in an edit."""

    word: str
    before: list[str]
    after: list[str]


class Term(TypedDict):
    """A watched keyword in the changed text: its count before and after."""

    name: str
    before: int
    after: int
    appeared: bool
    disappeared: bool
    snippets: list[str]  # matched words marked **like this**
    numbers: list[NumberChange]


class Edit(TypedDict):
    """block.edited only: the words added and removed."""

    added: list[str]
    removed: list[str]
    numbers_changed: bool


class Story(TypedDict):
    """item.new and block.new, with stories on: the story the report belongs to, across every
    source and daemon on the Redis (docs/alerts.md#stories)."""

    id: str  # the same on every alert of the story
    first: bool  # this alert is the story's first report
    sources: int  # distinct sources that reported it so far, this one included
    first_source: str
    first_seen: str  # ISO 8601 in UTC with Z


class Alert(TypedDict):
    """One alert, as on the stream and the channels."""

    schema: Literal[1]
    id: str
    type: AlertType
    source: str
    item: Item
    block: Block | None
    terms: list[Term]
    edit: NotRequired[Edit]
    snippets: NotRequired[list[str]]
    story: NotRequired[Story]
    detected_at: str
    tier: NotRequired[int]  # the source's tier: 1 official/wire, 2 default, 3 low; absent = 2
