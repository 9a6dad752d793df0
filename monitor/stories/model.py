"""The values stories are made of: a report as a story sees it, and the settings."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_WINDOW = 48 * 3600.0  # a story ends this long after its last report


@dataclass(frozen=True, slots=True)
class Report:
    """One ``item.new`` or ``block.new`` (or one line of ``stories cluster``)."""

    id: str  # the alert's id (the item's id offline): a report is assigned once
    source: str
    seen: float  # epoch seconds: its own published time where plausible, else when detected
    title: str
    text: str  # summary, lede or block text
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class StorySettings:
    """``[stories]`` in the config, and the options of ``stories cluster``."""

    window: float = DEFAULT_WINDOW
    threshold: float = 0.5  # similarity at or above which a report joins a story
