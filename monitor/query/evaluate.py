"""Evaluates a parsed query against one tokenized text.

A *hit* is ``(first, last, intervals)``: the token range it covers and the token intervals of
the words that made it, in text order (one interval for a word or phrase, two for a NEAR pair).
A node is true on a text when it yields at least one hit; the hits of the root give the count
and the spans. Positions, stems and prefix lookups are computed lazily per text and shared by
all the rules evaluated on it.

Every node's hits are at most linear in its children's: a NEAR pairs each hit with its nearest
partners only, found by bisection. What a NEAR records is charged to a work limit per rule and
text (``Context.charge``), so even a long chain of NEARs over a text of one repeated word stops
at a known cost, with ``OverLimit``, instead of growing with every link.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from operator import itemgetter

from monitor.query.ast import (
    EXACT,
    PREFIX,
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
from monitor.query.stem import AUTO, stemmer
from monitor.query.tokenize import offsets

# A few words are found fastest by scanning the token list; past this many, one index wins.
_SCANS_BEFORE_INDEX = 12
# Pairs one rule's NEARs may record on one text: well under a second of work, far above any
# real block (the seed live blog's whole text needs 10), reached only by hostile ones.
WORK_LIMIT = 200_000
Interval = tuple[int, int]
Hit = tuple[int, int, tuple[Interval, ...]]


class OverLimit(Exception):
    """A rule spent its work limit on one text; ``Matcher.match`` reports it as a QueryLimit."""

    def __init__(self, work: int) -> None:
        super().__init__(f"the query spent {work} units of work, past its limit")
        self.work = work


class Context:
    """One text's tokens, with positions by form, stem and prefix found lazily and cached,
    and what field scopes ask about it: its language, source and where its title ends."""

    __slots__ = (
        "_indexes",
        "_offsets",
        "_positions",
        "_sets",
        "_stems",
        "_title_tokens",
        "forms",
        "language",
        "limit",
        "parts",
        "source",
        "stem_language",
        "terms",
        "text",
        "title",
        "wanted",
        "work",
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
        self.terms: dict[tuple[Atom, ...], list[Hit]] = {}
        self.limit = WORK_LIMIT
        self.work = 0
        self.language: str | None = None  # the language the text is taken to be in
        self.stem_language = "english"  # what "auto" keywords stem it with
        self.source = ""
        self.title = 0  # characters of title at the start of the text
        self._title_tokens: int | None = None

    def title_tokens(self) -> int:
        """How many of the text's first tokens are in its title."""
        if self._title_tokens is None:
            if self._offsets is None:
                self._offsets = offsets(self.parts)
            starts = self._offsets[0 : 2 * len(self.forms) : 2]
            self._title_tokens = bisect_left(starts, self.title)
        return self._title_tokens

    def charge(self, units: int) -> None:
        """Count ``units`` of work against the rule being evaluated; past ``limit``, stop."""
        self.work += units
        if self.work > self.limit:
            raise OverLimit(self.work)

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
        key, value = "" if atom.kind == EXACT else atom.language, atom.value
        if key == AUTO:  # the query word's form, stemmed like the text
            key = self.stem_language
            value = stemmer(key)(value)
        index = self._indexes.get(key)
        if index is not None:
            return index.get(value, [])
        tokens = self.forms if atom.kind == EXACT else self.stems(key)
        if len(self._positions) < _SCANS_BEFORE_INDEX:
            return _scan(tokens, value)
        index = self._indexes[key] = _index(tokens, self.wanted.get(key))
        return index.get(value, [])


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
    """The hits of ``node`` on the text, sorted by position; empty when it is false. Raises
    ``OverLimit`` when its NEARs spend more than ``ctx.limit``."""
    if isinstance(node, Term):
        return _term(node, ctx)
    if isinstance(node, Or):
        return _unique(h for child in node.children for h in evaluate(child, ctx))
    if isinstance(node, And):
        return _and(node, ctx)
    if isinstance(node, Near):
        return _near(node, ctx)
    if isinstance(node, Scope):
        end = ctx.title_tokens()
        return [h for h in evaluate(node.child, ctx) if h[1] < end]
    return []  # a Not or a Field only means something inside an And, which handles it


def holds(node: Node, ctx: Context) -> bool:
    """Whether ``node`` is true on the text: a field's condition, or any match."""
    if isinstance(node, Field):
        value = (ctx.language or "") if node.name == "lang" else ctx.source.casefold()
        return any(_field_value(v, value) for v in node.values)
    if isinstance(node, Or) and is_condition(node):
        return any(holds(child, ctx) for child in node.children)
    return bool(evaluate(node, ctx))


def _field_value(wanted: str, value: str) -> bool:
    return value.startswith(wanted[:-1]) if wanted.endswith("*") else value == wanted


def _term(term: Term, ctx: Context) -> list[Hit]:
    """The term's hits, computed once per text (a chain of NEARs asks for its words again at
    every link); callers never change the list."""
    found = ctx.terms.get(term.atoms)
    if found is None:
        found = ctx.terms[term.atoms] = _find_term(term.atoms, ctx)
    return found


def _find_term(atoms: tuple[Atom, ...], ctx: Context) -> list[Hit]:
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
    conditions: list[Node] = []
    for child in node.children:
        if isinstance(child, Not):
            negatives.append(child.child)
        elif is_condition(child):
            conditions.append(child)
        elif found := evaluate(child, ctx):
            hits.extend(found)
        else:
            return []
    if not all(holds(child, ctx) for child in conditions):
        return []
    if any(holds(child, ctx) for child in negatives):
        return []
    return _unique(hits)


def _near(node: Near, ctx: Context) -> list[Hit]:
    right = evaluate(node.right, ctx)
    if not right:
        return []
    left = evaluate(node.left, ctx)
    if not left:
        return []
    # Each hit pairs with its nearest partner on each side (all partners tied for nearest),
    # never with every partner in reach: a chain of NEARs over one repeated word would
    # otherwise multiply its hits at every link. Both sides look, so a pair either end
    # finds nearest is kept.
    k, ordered = node.distance, node.ordered
    hits = _nearest(left, _Side(right), k, ctx, before=not ordered, after=True)
    hits += _nearest(right, _Side(left), k, ctx, before=True, after=not ordered)
    return _unique(hits)


class _Side:
    """One side's hits sorted by where they start and by where they end, so the nearest
    partners after or before a position are a bisection away."""

    __slots__ = ("by_last", "firsts", "hits", "lasts")

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits  # sorted by first already
        self.firsts = [h[0] for h in hits]
        self.by_last = sorted(hits, key=itemgetter(1))
        self.lasts = [h[1] for h in self.by_last]


def _nearest(
    hits: list[Hit], other: _Side, distance: int, ctx: Context, *, before: bool, after: bool
) -> list[Hit]:
    """Each hit joined to its nearest partners in ``other`` after it and/or before it (all
    that tie for nearest), when at most ``distance`` words lie between; a partner that
    overlaps the hit is never one. The pairs are charged to the work limit, and the loop
    stops as soon as they are past it."""
    found: list[Hit] = []
    room = ctx.limit - ctx.work
    firsts, lasts, by_first, by_last = other.firsts, other.lasts, other.hits, other.by_last
    ends = len(firsts)
    for a in hits:
        if after and (i := bisect_right(firsts, a[1])) < ends and firsts[i] - a[1] <= distance + 1:
            tied = by_first[i : bisect_right(firsts, firsts[i], i)]
            found += [(a[0], b[1], a[2] + b[2]) for b in tied]
        if before and (j := bisect_left(lasts, a[0])) and a[0] - lasts[j - 1] <= distance + 1:
            tied = by_last[bisect_left(lasts, lasts[j - 1], 0, j) : j]
            found += [(b[0], a[1], b[2] + a[2]) for b in tied]
        if len(found) > room:
            break
    ctx.charge(len(found))
    return found


def _unique(hits: Iterable[Hit]) -> list[Hit]:
    seen: dict[tuple[Interval, ...], Hit] = {}
    for hit in hits:
        seen.setdefault(hit[2], hit)
    return sorted(seen.values())
