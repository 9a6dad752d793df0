"""Matches many compiled keywords against one text at a time.

A text is tokenized and stemmed once. Its distinct words are looked up in three indexes of
anchor keys (stems per language, exact forms, prefixes), which yields the few candidate rules
that could match; only those are evaluated. So the cost of a text grows with its own length and
with the rules it nearly matches, not with the number of rules. A rule that reaches the work
limit on a text (``evaluate.WORK_LIMIT``) is not reported as a match there but as a
``QueryLimit``, in ``Matches.limited``, for the caller to log.

Each text is first given a language (``language.taken_as``: detected when it is long enough,
else the one its page or feed declares), reported in ``Matches.lang``. Keywords in "auto"
keep their words' forms; a text in a language stems them with that language's stemmer, so
their index keys are the forms, reached from the text's stems through a table built once per
language (``_auto_stems``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.errors import QueryError
from monitor.query.ast import EXACT, PREFIX, STEM
from monitor.query.compile import AnchorKey, CompiledKeyword, KeywordSpec, compile_keyword
from monitor.query.evaluate import WORK_LIMIT, Context, Hit, Interval, OverLimit, evaluate
from monitor.query.language import stemming_language, taken_as
from monitor.query.numbers import numbers_for
from monitor.query.prefixes import PrefixSet
from monitor.query.stem import AUTO, stemmer
from monitor.query.tokenize import split, to_forms


@dataclass(frozen=True, slots=True)
class TermHits:
    """How one keyword matched one text: count, character spans, numbers next to matches."""

    name: str
    count: int
    spans: tuple[tuple[int, int], ...]
    numbers: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class QueryLimit:
    """A keyword whose query reached the work limit on a text before it could tell whether it
    matches: treated as not matching that text (docs/queries.md, "Limits")."""

    name: str
    work: int


class Matches(dict[str, TermHits]):
    """The keywords a text matches, by name, in keyword order; in ``limited`` the ones that
    reached the work limit on it instead (those are not in the dict); in ``lang`` the
    language the text was taken to be in (None: it could not be told)."""

    __slots__ = ("lang", "limited")

    def __init__(self, lang: str | None = None) -> None:
        super().__init__()
        self.limited: tuple[QueryLimit, ...] = ()
        self.lang = lang


class Matcher:
    """Compiled and indexed keywords; ``match`` finds those a text matches."""

    def __init__(
        self, specs: Iterable[KeywordSpec], work_limit: int = WORK_LIMIT, *, detect: bool = True
    ) -> None:
        self._work_limit = work_limit
        self._detect = detect  # off: every text is in its declared language (bench, tests)
        self._auto_by_language: dict[str, dict[str, tuple[str, ...]]] = {}
        self._rules: list[CompiledKeyword] = []
        self._indexes: dict[str, int] = {}
        self._anchored: dict[AnchorKey, list[int]] = {}
        # Every exact form ("") and stem (by language) any rule mentions: a text's words are
        # reduced to these before anything else looks at them.
        self._known: dict[str, set[str]] = {}
        for spec in specs:
            self._add(compile_keyword(spec))
        self._prefixes = PrefixSet(v for k, _, v in self._anchored if k == PREFIX)

    def _add(self, rule: CompiledKeyword) -> None:
        if rule.name in self._indexes:
            raise QueryError(f"keyword {rule.name!r}: the name is used twice")
        index = self._indexes[rule.name] = len(self._rules)
        self._rules.append(rule)
        for key in rule.anchors:
            self._anchored.setdefault(key, []).append(index)
        for kind, language, value in rule.words:
            self._known.setdefault(language if kind == STEM else "", set()).add(value)

    @property
    def names(self) -> tuple[str, ...]:
        """Keyword names, in the order they were given."""
        return tuple(r.name for r in self._rules)

    def match(
        self, text: str, *, declared: str | None = None, title: int = 0, source: str = ""
    ) -> Matches:
        """The keywords ``text`` matches, by name, in keyword order. ``declared`` is the
        language its page or feed declares, ``title`` how many of its first characters are
        its title (for ``title:``), ``source`` the name of its source (for ``source:``)."""
        parts = split(text)
        if len(parts) == 1:
            return Matches(declared)
        folded = to_forms(parts[1::2])
        found = Matches(taken_as(text, declared, len(folded)) if self._detect else declared)
        stem_language = stemming_language(found.lang)
        wanted, auto = self._wanted(set(folded), stem_language)
        present = self._present(wanted, auto, folded)
        candidates = self._candidates(present)
        if not candidates:
            return found
        ctx = Context(text, parts, folded, wanted)
        ctx.limit = self._work_limit
        ctx.language, ctx.stem_language = found.lang, stem_language
        ctx.title, ctx.source = title, source
        limited: list[QueryLimit] = []
        for index in sorted(candidates):
            rule = self._rules[index]
            if rule.required <= present:
                self._evaluate(rule, ctx, found, limited)
        found.limited = tuple(limited)
        return found

    @staticmethod
    def _evaluate(
        rule: CompiledKeyword, ctx: Context, found: Matches, limited: list[QueryLimit]
    ) -> None:
        ctx.work = 0  # the limit holds per rule: one costly rule leaves the others theirs
        try:
            hits = evaluate(rule.node, ctx)
        except OverLimit as exc:
            limited.append(QueryLimit(rule.name, exc.work))
            return
        if hits:
            found[rule.name] = _term_hits(rule.name, hits, ctx)

    def _wanted(
        self, distinct: set[str], stem_language: str
    ) -> tuple[dict[str, set[str]], set[str]]:
        """The text's exact forms ("") and stems (by language) that some rule mentions, and
        the forms of "auto" rules' words that its stems in ``stem_language`` stand for."""
        wanted: dict[str, set[str]] = {}
        for language, known in self._known.items():
            if language == AUTO:
                continue
            if language:
                wanted[language] = set(stemmer(language).many(list(distinct))) & known
            else:
                wanted[language] = distinct & known
        if AUTO not in self._known:
            return wanted, set()
        by_stem = self._auto_stems(stem_language)
        stems = set(stemmer(stem_language).many(list(distinct))) & by_stem.keys()
        wanted.setdefault(stem_language, set()).update(stems)
        return wanted, {form for stem in stems for form in by_stem[stem]}

    def _auto_stems(self, stem_language: str) -> dict[str, tuple[str, ...]]:
        """The forms of "auto" rules' words by their stem in ``stem_language``."""
        found = self._auto_by_language.get(stem_language)
        if found is None:
            stem = stemmer(stem_language)
            table: dict[str, list[str]] = {}
            for form in self._known[AUTO]:
                table.setdefault(stem(form), []).append(form)
            found = {key: tuple(forms) for key, forms in table.items()}
            self._auto_by_language[stem_language] = found
        return found

    def _present(
        self, wanted: dict[str, set[str]], auto: set[str], folded: list[str]
    ) -> set[AnchorKey]:
        """Index keys the text holds: exact forms, stems, "auto" forms and prefixes."""
        present = {(STEM if lang else EXACT, lang, v) for lang, vs in wanted.items() for v in vs}
        present.update((STEM, AUTO, form) for form in auto)
        if self._prefixes:
            for word in self._prefixes.filter(set(folded)):
                present.update((PREFIX, "", p) for p in self._prefixes.starting(word))
        return present

    def _candidates(self, present: set[AnchorKey]) -> set[int]:
        found: set[int] = set()
        for key in present:
            found.update(self._anchored.get(key, ()))
        return found


def _term_hits(name: str, hits: list[Hit], ctx: Context) -> TermHits:
    intervals = sorted({interval for hit in hits for interval in hit[2]})
    spans = _merge([(ctx.span(a)[0], ctx.span(b)[1]) for a, b in intervals])
    return TermHits(name, len(hits), tuple(spans), numbers_for(ctx, _outer(intervals)))


def _outer(intervals: list[Interval]) -> list[Interval]:
    """Intervals with those nested in another dropped (a prefix hit inside a phrase hit)."""
    outer: list[Interval] = []
    reach = -1
    for start, end in sorted(intervals, key=lambda i: (i[0], -i[1])):
        if end > reach:
            outer.append((start, end))
            reach = end
    return outer


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
