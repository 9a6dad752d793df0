"""Precision and recall of blocks and of alerts over the live-blog corpus (tests/data/liveblogs).

An extracted block counts as found when it matches an expected block of the same snapshot
on id (when one is expected), headline and required text; each expected block matches at most
one extracted block. Alerts are those the diff gives when each snapshot is polled after the
previous one, compared by type, block id and headline with the case's expected alerts.
Real publishers' pages (tests/data/realpages) are scored beside it, one line per page: new
updates found with their text, edits found, spurious alerts, when polled as an older snapshot,
the page, then an edited snapshot (see tests/realpages.py).
Run: .venv/bin/python bench/score_extraction.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.realpages import load_cases
from tests.realpages import score as score_page
from tests.test_extract_corpus import identifies, load_snapshots
from tests.test_liveblog_alerts import score as score_alerts


def score() -> None:
    """Print per-case and overall precision and recall."""
    totals = {"expected": 0, "extracted": 0, "matched": 0}
    started = time.perf_counter()
    for snapshot in load_snapshots():
        page = snapshot.extract()
        remaining = list(page.blocks)
        matched = 0
        for want in snapshot.spec["blocks"]:
            hit = next((b for b in remaining if identifies(want, b)), None)
            if hit is not None:
                remaining.remove(hit)
                matched += 1
        totals["expected"] += len(snapshot.spec["blocks"])
        totals["extracted"] += len(page.blocks)
        totals["matched"] += matched
        flag = "" if matched == len(page.blocks) == len(snapshot.spec["blocks"]) else "  <-- miss"
        print(
            f"{snapshot.name:32} expected {len(snapshot.spec['blocks']):2} "
            f"extracted {len(page.blocks):2} matched {matched:2}{flag}"
        )
    elapsed = time.perf_counter() - started
    precision = totals["matched"] / max(1, totals["extracted"])
    recall = totals["matched"] / max(1, totals["expected"])
    print(
        f"\nblocks: expected {totals['expected']}, extracted {totals['extracted']}, "
        f"matched {totals['matched']}"
    )
    print(f"precision {precision:.3f}  recall {recall:.3f}  ({elapsed * 1000:.0f} ms in all)")
    expected, found, matched = score_alerts()
    print(f"\nalerts: expected {expected}, produced {found}, matched {matched}")
    print(f"precision {matched / max(1, found):.3f}  recall {matched / max(1, expected):.3f}")
    score_real_pages()


def score_real_pages() -> None:
    """Print, per real page, what polling its derived snapshots found and what it got wrong."""
    print("\nreal pages (older -> page -> edited):")
    cases = load_cases()
    clean = 0
    for case in cases:
        result = score_page(case)
        clean += result.clean
        print(
            f"{case.name:28} new {result.new_found}/{result.new_expected}  "
            f"edits {result.edits_found}/{result.edits_expected}  "
            f"spurious {len(result.spurious)}{'' if result.clean else '  <-- miss'}"
        )
        for alert in result.spurious[:5]:
            print(f"    spurious: {alert}")
    print(f"clean {clean} of {len(cases)} pages")


if __name__ == "__main__":
    score()
