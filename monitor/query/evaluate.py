"""Evaluates a parsed query against one tokenized text.

A *hit* is ``(first, last, intervals)``: the token range it covers and the token intervals of
the words that made it (one interval for a word or phrase, two for a NEAR pair). A node is true
on a text when it yields at least one hit; the hits of the root give the count and the spans.
Positions, stems and prefix lookups are computed lazily per text and shared by all the rules
evaluated on it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from monitor.query.ast import EXACT, PREFIX, And, Atom, Near, Node, Not, Or, Term
from monitor.query.stem import stemmer
from monitor.query.tokenize import offsets

# A few words are found fastest by scanning the token list; past this many, one index wins.
_SCANS_BEFORE_INDEX = 12
Interval = tuple[int, int]
Hit = tuple[int, int, tuple[Interval, ...]]


class Context:
    """One text's tokens, with positions by form, stem and prefix found lazily and cached."""

    __slots__ = (
        "_indexes",
        "_offsets",
        "_positions",
        "_sets",
        "_stems",
        "forms",
        "parts",
        "text",
        "wanted",
    )

    def __init__(
        self, text: str, parts: list[str], forms: list[str], wanted: dict[str, set[str]]
    ) -> None:
        self.text = text
        self.wanted = wanted
        self.parts = parts
        self.forms = forms
        self._stems: dict[str, list[str]] = {}
        self._positions: dict[Atom, list[int]] = {}
        self._indexes: dict[str, dict[str, list[int]]] = {}
        self._sets: dict[Atom, set[int]] = {}
        self._offsets: list[int] | None = None

    def span(self, pos: int) -> tuple[int, int]:
        """Character offsets [start, end) of token ``pos``."""
        if self._offsets is None:
            self._offsets = offsets(self.parts)
        return self._offsets[2 * pos], self._offsets[2 * pos + 1]

    def stems(self, language: str) -> list[str]:
        """The stem of every token in ``language``."""
        found = self._stems.get(language)
        if found is None:
            found = self._stems[language] = stemmer(language).many(self.forms)
        return found

    def positions(self, atom: Atom) -> list[int]:
        """Sorted token positions where ``atom`` matches."""
        found = self._positions.get(atom)
        if found is None:
            found = self._positions[atom] = self._find(atom)
        return found

    def position_set(self, atom: Atom) -> set[int]:
        """``positions(atom)`` as a set, for phrase checks."""
        found = self._sets.get(atom)
        if found is None:
            found = self._sets[atom] = set(self.positions(atom))
        return found

    def _find(self, atom: Atom) -> list[int]:
        if atom.kind == PREFIX:
            return [i for i, form in enumerate(self.forms) if form.startswith(atom.value)]
        key = "" if atom.kind == EXACT else atom.language
        index = self._indexes.get(key)
        if index is not None:
            return index.get(atom.value, [])
        tokens = self.forms if atom.kind == EXACT else self.stems(atom.language)
        if len(self._positions) < _SCANS_BEFORE_INDEX:
            return _scan(tokens, atom.value)
        index = self._indexes[key] = _index(tokens, self.wanted.get(key))
        return index.get(atom.value, [])


def _index(tokens: list[str], wanted: set[str] | None) -> dict[str, list[int]]:
    """Positions by token, for the ``wanted`` tokens only when the set is given."""
    index: dict[str, list[int]] = {}
    if wanted is None:
        for pos, token in enumerate(tokens):
            index.setdefault(token, []).append(pos)
        return index
    for pos, token in enumerate(tokens):
        if token in wanted:
            index.setdefault(token, []).append(pos)
    return index


def _scan(tokens: list[str], value: str) -> list[int]:
    """Positions of ``value`` in ``tokens``: a C-speed ``list.index`` hop per occurrence is far
    cheaper than indexing a whole text when, as usual, only a few words are asked about."""
    found: list[int] = []
    index = tokens.index
    pos = -1
    try:
        while True:
            pos = index(value, pos + 1)
            found.append(pos)
    except ValueError:
        return found


def evaluate(node: Node, ctx: Context) -> list[Hit]:
    """The hits of ``node`` on the text, sorted by position; empty when it is false."""
    if isinstance(node, Term):
        return _term(node, ctx)
    if isinstance(node, Or):
        return _unique(h for child in node.children for h in evaluate(child, ctx))
    if isinstance(node, And):
        return _and(node, ctx)
    if isinstance(node, Near):
        return _near(node, ctx)
    return []  # a Not only means something inside an And, which handles it


def _term(term: Term, ctx: Context) -> list[Hit]:
    atoms = term.atoms
    if len(atoms) == 1:
        return [(p, p, ((p, p),)) for p in ctx.positions(atoms[0])]
    # Drive the phrase from its rarest word; the others are set lookups at fixed offsets.
    lists = [ctx.positions(a) for a in atoms]
    lead = min(range(len(atoms)), key=lambda i: len(lists[i]))
    others = [(i - lead, ctx.position_set(a)) for i, a in enumerate(atoms) if i != lead]
    size = len(atoms) - 1
    hits: list[Hit] = []
    for pos in lists[lead]:
        for offset, found in others:
            if pos + offset not in found:
                break
        else:
            start = pos - lead
            hits.append((start, start + size, ((start, start + size),)))
    return hits


def _and(node: And, ctx: Context) -> list[Hit]:
    hits: list[Hit] = []
    negatives: list[Node] = []
    for child in node.children:
        if isinstance(child, Not):
            negatives.append(child.child)
            continue
        found = evaluate(child, ctx)
        if not found:
            return []
        hits.extend(found)
    if any(evaluate(child, ctx) for child in negatives):
        return []
    return _unique(hits)


def _near(node: Near, ctx: Context) -> list[Hit]:
    right = evaluate(node.right, ctx)
    if not right:
        return []
    left = evaluate(node.left, ctx)
    starts = [h[0] for h in right]
    widest = max(h[1] - h[0] for h in right)
    hits: list[Hit] = []
    for a in left:
        lo = a[0] - node.distance - 1 - widest if not node.ordered else a[1] + 1
        lo_i = bisect_left(starts, lo)
        hi_i = bisect_right(starts, a[1] + node.distance + 1)
        for b in right[lo_i:hi_i]:
            if _within(a, b, node.distance, node.ordered):
                hits.append((min(a[0], b[0]), max(a[1], b[1]), a[2] + b[2]))
    return _unique(hits)


def _within(a: Hit, b: Hit, distance: int, ordered: bool) -> bool:
    if b[0] > a[1]:
        return b[0] - a[1] - 1 <= distance
    if ordered or a[0] <= b[1]:
        return False  # wrong order, or the two overlap (one word cannot pair with itself)
    return a[0] - b[1] - 1 <= distance


def _unique(hits: Iterable[Hit]) -> list[Hit]:
    seen: dict[tuple[Interval, ...], Hit] = {}
    for hit in hits:
        seen.setdefault(hit[2], hit)
    return sorted(seen.values())
