"""Snippets: context windows, merging, marking, ellipses and whitespace."""

from __future__ import annotations

from monitor.query import snippets

TEXT = (
    "Russia's defense ministry claimed Tuesday that it started pulling back some troop units "
    "taking part in military exercises near Ukraine's border, but it gave no specific details "
    "on where the troops were pulling back from, or how many."
)


def _span(word: str, start: int = 0) -> tuple[int, int]:
    at = TEXT.index(word, start)
    return at, at + len(word)


def test_marks_word_and_cuts_on_word_boundaries() -> None:
    (snippet,) = snippets(TEXT, [_span("troop")], width=20)
    assert "**troop**" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    inner = snippet.strip("…").split()
    assert all(word in TEXT.split() or "**" in word for word in inner)


def test_close_matches_merge_into_one_snippet() -> None:
    result = snippets(TEXT, [_span("pulling back"), _span("troop")], width=30)
    assert len(result) == 1
    assert "**pulling back** some **troop**" in result[0]


def test_far_matches_make_separate_snippets_up_to_limit() -> None:
    spans = [_span("Russia"), _span("troops"), _span("many")]
    assert len(snippets(TEXT, spans, width=10)) == 3
    assert len(snippets(TEXT, spans, width=10, limit=2)) == 2


def test_whole_text_has_no_ellipsis_and_collapses_whitespace() -> None:
    text = "troops\n\n   will   return"
    assert snippets(text, [(0, 6)], width=100) == ["**troops** will return"]


def test_empty_and_out_of_range_spans() -> None:
    assert snippets(TEXT, []) == []
    assert snippets("abc", [(5, 9)]) == []
    assert snippets("abc", [(1, 2)], limit=0) == []
