"""The matcher on data-driven cases (tests/data/queries/match_*.json) and on the seed page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from monitor.query import KeywordSpec, Matcher, TermHits

DATA = Path(__file__).parent / "data" / "queries"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "liveblog-article.txt"
PULLBACK = (
    '(troop* OR forces OR units) NEAR/6 ("pull back" OR pullback OR withdraw OR "return to bases")'
)


def _cases() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(DATA.glob("match_*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            found.append((f"{path.stem}: {case['note']}", case))
    return found


CASES = _cases()


def _match(query: str, text: str, language: str = "english") -> TermHits | None:
    matcher = Matcher([KeywordSpec("k", query, language)])
    return matcher.match(text).get("k")


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[i for i, _ in CASES])
def test_case(case: dict[str, Any]) -> None:
    """A case may give the text's declared language, its source and a headline (the title,
    put before the text as a block's is)."""
    text = case["text"]
    headline = case.get("headline")
    text = f"{headline}\n{text}" if headline else text
    matcher = Matcher([KeywordSpec("k", case["query"], case.get("language", "english"))])
    found = matcher.match(
        text,
        declared=case.get("declared"),
        title=len(headline) if headline else 0,
        source=case.get("source", ""),
    )
    hits = found.get("k")
    count = hits.count if hits else 0
    assert count == case["count"]
    if hits and "spans" in case:
        assert [text[a:b] for a, b in hits.spans] == case["spans"]
    if "numbers" in case:
        assert [list(n) for n in (hits.numbers if hits else ())] == case["numbers"]


def test_many_keywords_each_reported() -> None:
    matcher = Matcher(
        [
            KeywordSpec("sanctions", "sanctions"),
            KeywordSpec("nato", "NATO"),
            KeywordSpec("absent", "zeppelin"),
            KeywordSpec("prefix", "invas*"),
        ]
    )
    found = matcher.match("NATO warns of invasion and threatens sanctions")
    assert list(found) == ["sanctions", "nato", "prefix"]
    assert matcher.names == ("sanctions", "nato", "absent", "prefix")


def test_keyword_languages_mix() -> None:
    """Each keyword's words are stemmed in its own language, the text once per language."""
    matcher = Matcher([KeywordSpec("en", "running"), KeywordSpec("fr", "running", "french")])
    assert set(matcher.match("I run daily")) == {"en"}
    assert set(matcher.match("Running daily")) == {"en", "fr"}


def test_spans_are_sorted_and_disjoint() -> None:
    text = "troops troop units pulling back troops"
    hits = _match(PULLBACK, text)
    assert hits is not None
    assert list(hits.spans) == sorted(hits.spans)
    assert all(a[1] <= b[0] for a, b in zip(hits.spans, hits.spans[1:], strict=False))


def _seed_blocks() -> list[str]:
    if not SEED.exists():
        pytest.skip("seed page not present")
    return [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_seed_pullback_headline_and_not_the_massing_paragraph() -> None:
    blocks = _seed_blocks()
    matcher = Matcher([KeywordSpec("troop-pullback", PULLBACK)])
    headline = next(b for b in blocks if b == "Russia announces troops will return to bases")
    massing = next(b for b in blocks if "130,000 troops" in b)
    assert "troop-pullback" in matcher.match(headline)
    assert "troop-pullback" not in matcher.match(massing)


def test_seed_sanctions_paragraph() -> None:
    blocks = _seed_blocks()
    paragraph = next(b for b in blocks if "the most severe sanctions ever levied" in b)
    hits = Matcher([KeywordSpec("sanctions", "sanctions")]).match(paragraph)["sanctions"]
    assert [paragraph[a:b] for a, b in hits.spans] == ["sanctions"]


def test_seed_numbers_next_to_troops() -> None:
    blocks = _seed_blocks()
    massing = next(b for b in blocks if "130,000 troops" in b)
    hits = Matcher([KeywordSpec("troops", "troops")]).match(massing)["troops"]
    assert hits.numbers == (("130,000", "troops"),)
