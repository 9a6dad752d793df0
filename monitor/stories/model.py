"""The values stories are made of: a report as a story sees it, and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

DEFAULT_WINDOW = 48 * 3600.0  # a story ends this long after its last report
DEFAULT_THRESHOLD = 0.3  # see StorySettings.threshold
DEFAULT_DUPLICATE = 0.7  # see StorySettings.duplicate


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
    """``[stories]`` in the config, and the options of ``stories cluster``.

    ``threshold`` is the similarity at or above which a report joins a story: the cosine of
    the report's and the story's centroid term vectors (each term weighed by its inverse
    document frequency in the window, a title term twice a text term), or 0.9 of its cosine to
    one of the story's latest reports when the centroid's is at least half the threshold (a
    short report needs 0.9 of the threshold), lowered as the time since the story's last
    report nears the window (by up to half, at the window's end).
    ``duplicate`` is the share of shared terms (Jaccard, estimated by MinHash) at or above
    which a report is a copy of one already in a story and joins it whatever the cosine.
    """

    window: float = DEFAULT_WINDOW
    threshold: float = DEFAULT_THRESHOLD
    duplicate: float = DEFAULT_DUPLICATE

    def __post_init__(self) -> None:
        if not self.window > 0:
            raise ValueError(f"window: must be more than 0 seconds, not {self.window!r}")
        for name in ("threshold", "duplicate"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"{name}: must be more than 0 and at most 1, not {value!r}")


def epoch(stamp: str) -> float:
    """Epoch seconds of an ISO 8601 time, one without a zone taken as UTC (a report's
    ``seen``, offline and in the daemon alike); ValueError when it is not one."""
    moment = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
