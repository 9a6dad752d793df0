"""Properties: matching never raises, a phrase is found wherever it is embedded, and the parser
fails only with QueryError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import QueryError
from monitor.query import KeywordSpec, Matcher, parse_query

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéüßжд", min_size=1, max_size=8)
SEPARATOR = st.sampled_from([" ", "  ", ", ", ". ", "\n", " — ", " (", ") ", ": ", "\t"])
FIXED = Matcher(
    [
        KeywordSpec("pullback", '(troop* OR forces) NEAR/6 ("pull back" OR withdraw)'),
        KeywordSpec("ordered", "a ONEAR/1 b"),
        KeywordSpec("not", "sanctions NOT football"),
        KeywordSpec("exact", '=Apple OR "=iphone 1*"'),
        KeywordSpec("none", "straße", "none"),
    ]
)


@st.composite
def queries(draw: st.DrawFn, depth: int = 0) -> str:
    """Small valid queries over a tiny vocabulary, so they often match random texts."""
    vocabulary = st.sampled_from(["a", "b", "ab", "troops", "é", "ж"])
    leaf = st.one_of(
        vocabulary,
        vocabulary.map(lambda w: f"{w}*"),
        vocabulary.map(lambda w: f"={w}"),
        st.lists(vocabulary, min_size=1, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"'),
    )
    if depth >= 2 or draw(st.booleans()):
        return draw(leaf)
    left, right = draw(queries(depth + 1)), draw(queries(depth + 1))
    op = draw(st.sampled_from(["AND", "OR", "", "NOT", "NEAR/2", "ONEAR/3"]))
    if op.endswith(("2", "3")):
        return f"({draw(leaf)} {op} {draw(leaf)})"
    return f"({left} {op} {right})"


@given(st.text())
def test_matching_never_raises(text: str) -> None:
    for hits in FIXED.match(text).values():
        assert hits.count >= 1
        assert all(0 <= a < b <= len(text) for a, b in hits.spans)


@given(queries(), st.text(alphabet="ab éж* \n.troops", max_size=60))
def test_generated_queries_match_without_raising(query: str, text: str) -> None:
    hits = Matcher([KeywordSpec("q", query)]).match(text)
    assert set(hits) <= {"q"}
    if hits:
        assert list(hits["q"].spans) == sorted(hits["q"].spans)


@settings(max_examples=200)
@given(
    st.lists(WORD, min_size=1, max_size=4),
    st.lists(WORD, max_size=6),
    st.lists(WORD, max_size=6),
    SEPARATOR,
    st.booleans(),
)
def test_embedded_phrase_is_found(
    phrase: list[str], before: list[str], after: list[str], sep: str, upper: bool
) -> None:
    written = " ".join(phrase).upper() if upper else " ".join(phrase)
    text = sep.join([*before, written, *after])
    hits = Matcher([KeywordSpec("p", '"' + " ".join(phrase) + '"')]).match(text)
    assert "p" in hits
    assert hits["p"].count >= 1


@given(st.text(max_size=40))
def test_parser_fails_only_with_query_error(query: str) -> None:
    try:
        parse_query(query)
    except QueryError as exc:
        assert exc.column >= 1 or not exc.query
