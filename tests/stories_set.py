"""The labelled story set (bench/data/stories) and how a clustering of it is scored.

The true story of an item is its event in its language (a story need not join across
languages). Scores: pairwise precision and recall over the pairs of items put together, and
B-cubed precision and recall (per item: the share of its predicted story that truly belongs
with it, and the share of its true story found in its predicted one), each with its F1.
Used by tests/test_stories_cluster.py and bench/bench_stories.py.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

from monitor.stories import Report, StoryIndex, StorySettings

SET = Path(__file__).resolve().parents[1] / "bench" / "data" / "stories" / "items.jsonl"


def load(path: Path = SET) -> list[dict[str, str]]:
    """The set's items, in published order (ties by id)."""
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return sorted(items, key=lambda item: (item["published"], item["id"]))


def epoch(published: str) -> float:
    """An ISO time with a Z as epoch seconds."""
    return datetime.fromisoformat(published.replace("Z", "+00:00")).timestamp()


def report(item: Mapping[str, str]) -> Report:
    """An item as the index sees it."""
    return Report(
        item["id"], item["source"], epoch(item["published"]), item["title"],
        item.get("summary") or "", item.get("lang"),
    )  # fmt: skip


def truth(items: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """Each item's true story: its event in its language."""
    return {item["id"]: f"{item['event']}/{item['lang']}" for item in items}


def cluster(
    items: Iterable[Mapping[str, str]], settings: StorySettings | None = None
) -> dict[str, str]:
    """Each item's story, the items taken in order through one StoryIndex."""
    index = StoryIndex(settings)
    return {item["id"]: index.assign(report(item)).id for item in items}


def scores(predicted: Mapping[str, str], true: Mapping[str, str]) -> dict[str, float]:
    """Pairwise and B-cubed precision, recall and F1 of a clustering."""
    pred_groups, true_groups = _groups(predicted), _groups(true)
    both = Counter((predicted[i], true[i]) for i in true)
    together = sum(_pairs(n) for n in both.values())
    pair_p = _ratio(together, sum(_pairs(len(g)) for g in pred_groups.values()))
    pair_r = _ratio(together, sum(_pairs(len(g)) for g in true_groups.values()))
    b3_p = sum(both[(predicted[i], true[i])] / len(pred_groups[predicted[i]]) for i in true)
    b3_r = sum(both[(predicted[i], true[i])] / len(true_groups[true[i]]) for i in true)
    b3_p, b3_r = b3_p / len(true), b3_r / len(true)
    return {
        "pair_p": pair_p, "pair_r": pair_r, "pair_f1": _f1(pair_p, pair_r),
        "b3_p": b3_p, "b3_r": b3_r, "b3_f1": _f1(b3_p, b3_r),
    }  # fmt: skip


def _groups(labels: Mapping[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for item, label in labels.items():
        groups[label].append(item)
    return groups


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 1.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0
