"""Keyword queries: the Boolean/proximity language, its parser and a matcher for many rules.

    parse_query("(troop* OR forces) NEAR/6 withdraw")   -> expression tree (monitor.query.ast)
    Matcher([KeywordSpec("troops", "troop* NEAR/6 withdraw")]).match(text) -> {name: TermHits}
    snippets(text, hits.spans)                          -> ["…the **troops** will…"]

The language is documented in docs/queries.md.
"""

from __future__ import annotations

from monitor.query.ast import Node
from monitor.query.compile import CompiledKeyword, KeywordSpec, compile_keyword
from monitor.query.language import taken_as
from monitor.query.lexer import MAX_DISTANCE
from monitor.query.matcher import Matcher, Matches, QueryLimit, TermHits
from monitor.query.parser import parse_query
from monitor.query.snippets import snippets
from monitor.query.stem import AUTO, LANGUAGES, check_language

__all__ = [
    "AUTO",
    "LANGUAGES",
    "MAX_DISTANCE",
    "CompiledKeyword",
    "KeywordSpec",
    "Matcher",
    "Matches",
    "Node",
    "QueryLimit",
    "TermHits",
    "check_language",
    "compile_keyword",
    "parse_query",
    "snippets",
    "taken_as",
]
