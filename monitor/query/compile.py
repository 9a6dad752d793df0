"""Keyword specs and their compiled form: the parsed tree plus the anchors that index it.

A rule's *required* keys are those every matching text contains: a candidate missing one is
dropped before evaluation, which spares evaluating phrases whose rarest word is absent.

An *anchor set* is a set of keys such that any text the rule matches contains at least one of
them, so a text only needs to be evaluated against rules one of whose anchors it contains. For
a phrase one word suffices (the longest, as the likeliest to be rare); for AND and NEAR the
smallest anchor set of any positive side; for OR the union of all alternatives.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.errors import QueryError
from monitor.query.ast import (
    PREFIX,
    STEM,
    And,
    Atom,
    Field,
    Near,
    Node,
    Not,
    Or,
    Scope,
    Term,
    is_condition,
)
from monitor.query.parser import parse_query

AnchorKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class KeywordSpec:
    """A named watch query; ``language`` is a stemming language, "none" for no stemming, or
    "auto" (the default) to stem each text in its own language."""

    name: str
    query: str
    language: str = "auto"


@dataclass(frozen=True, slots=True)
class CompiledKeyword:
    """A keyword ready to match: its spec, parsed tree and anchor keys."""

    spec: KeywordSpec
    node: Node
    anchors: frozenset[AnchorKey]
    required: frozenset[AnchorKey]
    words: frozenset[AnchorKey]

    @property
    def name(self) -> str:
        """The keyword's name."""
        return self.spec.name


def compile_keyword(spec: KeywordSpec) -> CompiledKeyword:
    """Parse and index one keyword; QueryError whose message starts with the keyword's name."""
    try:
        node = parse_query(spec.query, spec.language)
    except QueryError as exc:
        raise QueryError(
            f"keyword {spec.name!r}: {exc.reason}", query=exc.query, column=exc.column
        ) from exc
    return CompiledKeyword(spec, node, anchors(node), required(node), word_keys(node))


def anchors(node: Node) -> frozenset[AnchorKey]:
    """Keys one of which every text matching ``node`` contains (empty only for a bare NOT)."""
    if isinstance(node, Term):
        return frozenset({_key(_best_atom(node.atoms))})
    if isinstance(node, Scope):
        return anchors(node.child)
    if isinstance(node, Or):
        return frozenset().union(*(anchors(child) for child in node.children))
    if isinstance(node, Near):
        return _narrowest([anchors(node.left), anchors(node.right)])
    if isinstance(node, And):
        positives = [anchors(c) for c in node.children if _positive(c)]
        return _narrowest(positives)
    return frozenset()


def required(node: Node) -> frozenset[AnchorKey]:
    """Word and stem keys every text matching ``node`` contains (a cheap pre-check)."""
    if isinstance(node, Term):
        return frozenset(_key(a) for a in node.atoms if a.kind != PREFIX)
    if isinstance(node, Scope):
        return required(node.child)
    if is_condition(node):
        return frozenset()
    if isinstance(node, Or):
        return frozenset.intersection(*(required(child) for child in node.children))
    if isinstance(node, Near):
        return required(node.left) | required(node.right)
    if isinstance(node, And):
        sides = [required(c) for c in node.children if _positive(c)]
        return frozenset().union(*sides)
    return frozenset()


def word_keys(node: Node) -> frozenset[AnchorKey]:
    """The exact and stem keys of every word in ``node``, negated ones included."""
    if isinstance(node, Term):
        return frozenset(_key(a) for a in node.atoms if a.kind != PREFIX)
    if isinstance(node, Not | Scope):
        return word_keys(node.child)
    if isinstance(node, Field):
        return frozenset()
    if isinstance(node, Near):
        return word_keys(node.left) | word_keys(node.right)
    return frozenset().union(*(word_keys(child) for child in node.children))


def _positive(node: Node) -> bool:
    return not isinstance(node, Not) and not is_condition(node)


def _key(atom: Atom) -> AnchorKey:
    return (atom.kind, atom.language if atom.kind == STEM else "", atom.value)


def _best_atom(atoms: tuple[Atom, ...]) -> Atom:
    return max(atoms, key=lambda a: (a.kind != PREFIX, len(a.value)))


def _narrowest(options: list[frozenset[AnchorKey]]) -> frozenset[AnchorKey]:
    return min(options, key=lambda keys: (len(keys), -min((len(k[2]) for k in keys), default=0)))
