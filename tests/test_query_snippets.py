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
    assert len(snippets(TEXT, spans, width=5)) == 3
    assert len(snippets(TEXT, spans, width=5, limit=2)) == 2


def test_whole_text_has_no_ellipsis_and_collapses_whitespace_but_shows_breaks() -> None:
    text = "troops\n\n   will   return"
    assert snippets(text, [(0, 6)], width=100) == ["**troops** ¶ will return"]


def test_empty_and_out_of_range_spans() -> None:
    assert snippets(TEXT, []) == []
    assert snippets("abc", [(5, 9)]) == []
    assert snippets("abc", [(1, 2)], limit=0) == []


def test_a_near_match_is_one_snippet_that_holds_both_words() -> None:
    text = (
        "Russia's defense ministry said on Tuesday that some units of the Southern and Western "
        "military districts that had been taking part in drills in Crimea and near the border "
        "with Ukraine would pull back and return to bases."
    )
    spans = [(text.index("units"), text.index("units") + 5)]
    spans.append((text.index("pull back"), text.index("pull back") + 9))
    (snippet,) = snippets(text, spans)
    assert "**units**" in snippet and "**pull back**" in snippet


def test_a_headline_and_its_text_are_kept_apart() -> None:
    (snippet,) = snippets("Troops return to bases\nRussia's defense ministry said", [(0, 6)])
    assert snippet == "**Troops** return to bases ¶ Russia's defense ministry said"
