"""Every case in tests/data/liveblogs/: each snapshot gives exactly the expected blocks.

A new case is a new directory with snapshots and a case.json (see the README there); this
module also holds the matching rules that bench/score_extraction.py scores with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from monitor.models import Block
from monitor.poll.extract import Page, extract_page

CORPUS = Path(__file__).parent / "data" / "liveblogs"
_OPTIONAL = ("byline", "credits", "published", "modified", "url", "extractor")


@dataclass(frozen=True)
class Snapshot:
    """One expected page: where it is, and what extraction must give."""

    case: str
    index: int
    path: Path
    url: str
    content_type: str | None
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.case}/{self.path.name}"

    def extract(self) -> Page:
        return extract_page(self.path.read_bytes(), self.url, self.content_type)


def load_snapshots() -> list[Snapshot]:
    """Every snapshot of every case, in case and sequence order."""
    snapshots = []
    for case_file in sorted(CORPUS.glob("*/case.json")):
        case = json.loads(case_file.read_text(encoding="utf-8"))
        for index, spec in enumerate(case["snapshots"]):
            path = case_file.parent / spec["file"]
            content_type = spec.get("content_type")
            snapshots.append(
                Snapshot(case_file.parent.name, index, path, case["url"], content_type, spec)
            )
    return snapshots


def identifies(expected: dict[str, Any], block: Block) -> bool:
    """Whether ``block`` is the expected block: id (when expected), headline and text match."""
    if expected.get("id") is not None and block.id != expected["id"]:
        return False
    return block.headline == expected["headline"] and expected["text"] in block.text


def mismatches(expected: dict[str, Any], block: Block) -> list[str]:
    """Every field of ``block`` that differs from what the case expects."""
    problems = []
    if block.id != expected["id"]:
        problems.append(f"id {block.id!r} != {expected['id']!r}")
    if block.headline != expected["headline"]:
        problems.append(f"headline {block.headline!r} != {expected['headline']!r}")
    if expected["text"] not in block.text:
        problems.append(f"text lacks {expected['text']!r}: {block.text!r}")
    for flag in ("pinned", "tombstone"):
        if getattr(block, flag) != expected.get(flag, False):
            problems.append(f"{flag} is {getattr(block, flag)}")
    for key in _OPTIONAL:
        if key in expected and getattr(block, key) != expected[key]:
            problems.append(f"{key} {getattr(block, key)!r} != {expected[key]!r}")
    return problems


SNAPSHOTS = load_snapshots()


def test_corpus_is_large_enough() -> None:
    """The corpus holds at least 25 snapshots, in cases of two or more."""
    assert len(SNAPSHOTS) >= 25
    cases = {s.case for s in SNAPSHOTS}
    assert all(sum(s.case == c for s in SNAPSHOTS) >= 2 for c in cases)


@pytest.mark.parametrize("snapshot", SNAPSHOTS, ids=lambda s: s.name)
def test_snapshot_blocks(snapshot: Snapshot) -> None:
    page = snapshot.extract()
    expected = snapshot.spec["blocks"]
    got = [(b.id, b.headline) for b in page.blocks]
    assert len(page.blocks) == len(expected), f"blocks found: {got}"
    for want, block in zip(expected, page.blocks, strict=True):
        assert not mismatches(want, block), (want["headline"], mismatches(want, block))


@pytest.mark.parametrize("snapshot", SNAPSHOTS, ids=lambda s: s.name)
def test_snapshot_noise_absent(snapshot: Snapshot) -> None:
    """Promo lines, ads, share bars and summaries appear in no block."""
    page = snapshot.extract()
    for needle in snapshot.spec.get("absent", []):
        for block in page.blocks:
            assert needle not in block.text, (needle, block.headline)
            assert needle not in block.headline, (needle, block.headline)


@pytest.mark.parametrize(
    "snapshot", [s for s in SNAPSHOTS if "page" in s.spec], ids=lambda s: s.name
)
def test_snapshot_page_fields(snapshot: Snapshot) -> None:
    page = snapshot.extract()
    for key, value in snapshot.spec["page"].items():
        assert getattr(page, key) == value


@pytest.mark.parametrize("snapshot", [s for s in SNAPSHOTS if s.index], ids=lambda s: s.name)
def test_alert_expectations_are_well_formed(snapshot: Snapshot) -> None:
    """Alert expectations name a type and a block the snapshots actually hold."""
    previous = next(
        s for s in SNAPSHOTS if s.case == snapshot.case and s.index == snapshot.index - 1
    )
    for alert in snapshot.spec["alerts"]:
        assert alert["type"] in ("block.new", "block.edited", "block.removed")
        source = previous if alert["type"] == "block.removed" else snapshot
        known = [(b["id"], b["headline"]) for b in source.spec["blocks"]]
        if alert["type"] == "block.removed" and (alert.get("id"), alert["headline"]) not in known:
            older = [s for s in SNAPSHOTS if s.case == snapshot.case and s.index < snapshot.index]
            known = [(b["id"], b["headline"]) for s in older for b in s.spec["blocks"]]
        assert (alert.get("id"), alert["headline"]) in known, alert
