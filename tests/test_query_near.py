"""NEAR pairs each hit with its nearest partners, so its work is linear in the hits of its
sides: checked against brute-force references on small random texts, and on the hostile
inputs of issue 21 by the work counted and the result, not by the time taken."""

from __future__ import annotations

from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.query import KeywordSpec, Matcher, QueryLimit, parse_query
from monitor.query.ast import PREFIX, Near, Node, Or, Term
from monitor.query.evaluate import WORK_LIMIT, Context, evaluate
from monitor.query.tokenize import split, to_forms

Hit = tuple[int, int, tuple[tuple[int, int], ...]]
CHAIN3 = "a* NEAR/100 a* NEAR/100 a*"
CHAIN32 = " NEAR/100 ".join(["a*"] * 32)


def _context(text: str) -> Context:
    parts = split(text)
    return Context(text, parts, to_forms(parts[1::2]), {})


def test_three_chain_on_repeated_words_is_linear() -> None:
    """The attack that took 25 s: every word pairs with its neighbours only, so each link
    records at most four pairs a word, and the stretches are the 398 runs of three words."""
    ctx = _context("a " * 400)
    hits = evaluate(parse_query(CHAIN3), ctx)
    assert len(hits) == 398
    assert {(h[0], h[1]) for h in hits} == {(p, p + 2) for p in range(398)}
    assert ctx.work <= 2 * 4 * 400
    found = Matcher([KeywordSpec("k", CHAIN3)]).match("a " * 400)
    assert found["k"].count == 398 and len(found["k"].spans) == 400 and not found.limited


def test_long_chain_on_a_long_text_stops_at_the_limit() -> None:
    """The attack that ran a web server to 11.9 GB: the keyword is reported as limited, with
    the work it spent, and not as a match; other keywords on the same text are unaffected."""
    matcher = Matcher([KeywordSpec("k", CHAIN32), KeywordSpec("plain", "a NEAR/1 a*")])
    found = matcher.match("a " * 20_000)
    assert "k" not in found and found["plain"].count == 19_999
    (limit,) = found.limited
    assert isinstance(limit, QueryLimit) and limit.name == "k"
    assert WORK_LIMIT < limit.work <= WORK_LIMIT + 2


def test_the_limit_is_per_rule_and_configurable() -> None:
    text = "troops withdraw " * 50
    assert Matcher([KeywordSpec("k", "troops NEAR/1 withdraw")]).match(text)["k"].count == 99
    small = Matcher([KeywordSpec("k", "troops NEAR/1 withdraw")], work_limit=100)
    found = small.match(text)
    assert "k" not in found and [q.name for q in found.limited] == ["k"]


def test_a_common_word_on_a_long_text_does_not_reach_the_limit() -> None:
    """Words, phrases and OR are linear anyway and cost no work; only NEAR pairs count."""
    found = Matcher([KeywordSpec("k", 'troops OR "return to bases"')]).match(
        "troops return to bases " * 100_000
    )
    assert found["k"].count == 200_000 and not found.limited


# Brute-force references over small texts of single-letter words, from the definitions in
# docs/queries.md: `exhaustive` pairs every hit with every partner in reach (what NEAR meant
# before), `nearest` with the nearest partners only (what it means now), both by scanning.


def _leaf(term: Term, tokens: list[str]) -> set[Hit]:
    (atom,) = term.atoms
    matches = (lambda t: t.startswith(atom.value)) if atom.kind == PREFIX else atom.value.__eq__
    return {(i, i, ((i, i),)) for i, token in enumerate(tokens) if matches(token)}


def _gap(a: Hit, b: Hit) -> int | None:
    """Words between ``a`` and a later ``b``; None when ``b`` is not after ``a``."""
    return b[0] - a[1] - 1 if b[0] > a[1] else None


def _join(a: Hit, b: Hit) -> Hit:
    return (a[0], b[1], a[2] + b[2])


def _pairs(node: Near, left: set[Hit], right: set[Hit], nearest: bool) -> set[Hit]:
    found: set[Hit] = set()
    for own, other, own_is_left in ((left, right, True), (right, left, False)):
        for a in own:
            later = [b for b in other if (g := _gap(a, b)) is not None and g <= node.distance]
            earlier = [b for b in other if (g := _gap(b, a)) is not None and g <= node.distance]
            if node.ordered:
                later, earlier = (later, []) if own_is_left else ([], earlier)
            if nearest:
                later = [b for b in later if b[0] == min(c[0] for c in later)]
                earlier = [b for b in earlier if b[1] == max(c[1] for c in earlier)]
            found |= {_join(a, b) for b in later} | {_join(b, a) for b in earlier}
    return found


def reference(node: Node, tokens: list[str], nearest: bool) -> set[Hit]:
    if isinstance(node, Term):
        return _leaf(node, tokens)
    if isinstance(node, Or):
        return set().union(*(reference(c, tokens, nearest) for c in node.children))
    assert isinstance(node, Near)
    left, right = reference(node.left, tokens, nearest), reference(node.right, tokens, nearest)
    return _pairs(node, left, right, nearest)


def _words(hits: set[Hit]) -> set[int]:
    return {p for hit in hits for a, b in hit[2] for p in range(a, b + 1)}


def _matched(query: str, tokens: list[str]) -> tuple[int, set[int]]:
    """(count, the word positions marked) as the matcher reports them."""
    text = " ".join(tokens)
    hits = Matcher([KeywordSpec("q", query, "none")]).match(text).get("q")
    if hits is None:
        return 0, set()
    starts = [sum(len(t) + 1 for t in tokens[:i]) for i in range(len(tokens))]
    return hits.count, {i for i, s in enumerate(starts) if any(a <= s < b for a, b in hits.spans)}


OPERAND = st.sampled_from(["a", "b", "c", "a*", "(a OR b)", "(b OR c*)"])
OPERATOR = st.sampled_from([f"{op}/{n}" for op, n in product(["NEAR", "ONEAR"], [1, 2, 3])])
TEXT = st.lists(st.sampled_from(["a", "b", "c", "ab", "x"]), min_size=1, max_size=14)


@settings(max_examples=300)
@given(OPERAND, OPERATOR, OPERAND, TEXT)
def test_one_near_agrees_with_both_references(
    left: str, op: str, right: str, tokens: list[str]
) -> None:
    """One NEAR is true and marks the same words as pairing every hit with every partner in
    reach would; its count is that of the pairs of nearest partners."""
    query = f"{left} {op} {right}"
    node = parse_query(query, "none")
    count, marked = _matched(query, tokens)
    every, nearest = reference(node, tokens, False), reference(node, tokens, True)
    assert (count > 0) == bool(every)
    assert marked == _words(every)
    assert count == len(nearest)


@settings(max_examples=300)
@given(OPERAND, OPERATOR, OPERAND, OPERATOR, OPERAND, TEXT)
def test_a_chain_agrees_with_the_nearest_reference(
    a: str, op1: str, b: str, op2: str, c: str, tokens: list[str]
) -> None:
    """A chain of three: exactly the nearest reference, and true exactly where pairing
    every hit with every partner would be (what the chain meant before)."""
    query = f"{a} {op1} {b} {op2} {c}"
    node = parse_query(query, "none")
    count, marked = _matched(query, tokens)
    nearest = reference(node, tokens, True)
    assert count == len(nearest) and marked == _words(nearest)
    assert (count > 0) == bool(reference(node, tokens, False))
