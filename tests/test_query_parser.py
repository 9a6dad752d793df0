"""The query language's parser: every construct, and every error with its column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from monitor.errors import QueryError
from monitor.query import KeywordSpec, Matcher, compile_keyword, parse_query
from monitor.query.ast import And, Near, Not, Or, Term

DATA = Path(__file__).parent / "data" / "queries"


def _cases(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return cases


@pytest.mark.parametrize("case", _cases("parse.json"), ids=lambda c: c["query"])
def test_parses_to_tree(case: dict[str, Any]) -> None:
    node = parse_query(case["query"], case.get("language", "english"))
    assert str(node) == case["tree"]


@pytest.mark.parametrize("case", _cases("errors.json"), ids=lambda c: c["query"] or "<empty>")
def test_error_names_column(case: dict[str, Any]) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(case["query"])
    assert info.value.column == case["column"]
    assert case["message"] in info.value.reason
    assert info.value.query == case["query"]


def test_near_node_fields() -> None:
    node = parse_query("troops ONEAR/7 withdraw")
    assert isinstance(node, Near)
    assert (node.distance, node.ordered, node.column) == (7, True, 8)
    assert isinstance(node.left, Term) and isinstance(node.right, Term)


def test_not_is_a_child_of_and() -> None:
    node = parse_query("sanctions NOT football")
    assert isinstance(node, And)
    assert isinstance(node.children[1], Not)


def test_or_of_and_groups() -> None:
    node = parse_query("(a b) OR (c d)")
    assert isinstance(node, Or)
    assert all(isinstance(child, And) for child in node.children)


def test_error_message_shows_pointer() -> None:
    """The full message quotes the query and points a caret at the column."""
    with pytest.raises(QueryError) as info:
        parse_query("a OR (b")
    assert str(info.value).splitlines()[-1] == "       ^"


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(QueryError, match="nested too deeply"):
        parse_query("(" * 500 + "a" + ")" * 500)


def test_unknown_language() -> None:
    with pytest.raises(QueryError, match="unknown stemming language 'klingon'"):
        parse_query("a", "klingon")


def test_compile_keyword_prefixes_the_name() -> None:
    with pytest.raises(QueryError) as info:
        compile_keyword(KeywordSpec("x", "troops AND (pullback"))
    assert str(info.value).startswith("keyword 'x': unbalanced parenthesis")
    assert "at column 12" in str(info.value)
    assert info.value.column == 12


def test_matcher_reports_the_bad_keyword() -> None:
    specs = [KeywordSpec("good", "troops"), KeywordSpec("bad", "troops NEAR/5")]
    with pytest.raises(QueryError, match=r"^keyword 'bad': NEAR/5 needs a term on its right"):
        Matcher(specs)


def test_matcher_refuses_duplicate_names() -> None:
    with pytest.raises(QueryError, match="used twice"):
        Matcher([KeywordSpec("a", "x"), KeywordSpec("a", "y")])


def test_anchors_of_and_pick_one_side() -> None:
    """An AND rule is indexed under one of its terms, an OR rule under all of them."""
    assert len(compile_keyword(KeywordSpec("k", "sanctions AND banks")).anchors) == 1
    assert len(compile_keyword(KeywordSpec("k", "a OR b OR c*")).anchors) == 3
