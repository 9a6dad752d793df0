"""The typed expression tree a keyword query parses into.

Leaves are ``Term``s: one word, or a phrase of several, each word an ``Atom`` that matches a
token by stem, by exact form or by prefix; and ``Field``s, conditions on the text's source or
language that match no words. Inner nodes are ``And``, ``Or``, ``Not``, ``Near`` and
``Scope`` (words in the title only). An alias group (``{Kyiv|Kiev}``) parses into an ``Or`` of
its spellings. Every node records the 1-based column where it starts, for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

STEM: Final = "stem"
EXACT: Final = "exact"
PREFIX: Final = "prefix"


@dataclass(frozen=True, slots=True)
class Atom:
    """One query word: ``kind`` is STEM (compare stems), EXACT (``=word``) or PREFIX (``word*``)."""

    kind: str
    value: str
    language: str = "none"

    def __str__(self) -> str:
        if self.kind == PREFIX:
            return f"{self.value}*"
        return f"={self.value}" if self.kind == EXACT else self.value


@dataclass(frozen=True, slots=True)
class Term:
    """A word (one atom) or a phrase (several atoms on consecutive tokens)."""

    atoms: tuple[Atom, ...]
    column: int = 0

    def __str__(self) -> str:
        inner = " ".join(str(a) for a in self.atoms)
        return inner if len(self.atoms) == 1 else f'"{inner}"'


@dataclass(frozen=True, slots=True)
class And:
    """True when every positive child matches and no ``Not`` child does."""

    children: tuple[Node, ...]
    column: int = 0

    def __str__(self) -> str:
        return "(" + " AND ".join(str(c) for c in self.children) + ")"


@dataclass(frozen=True, slots=True)
class Or:
    """True when any child matches."""

    children: tuple[Node, ...]
    column: int = 0

    def __str__(self) -> str:
        return "(" + " OR ".join(str(c) for c in self.children) + ")"


@dataclass(frozen=True, slots=True)
class Not:
    """Excludes texts where ``child`` matches; only valid inside an ``And`` with a positive term."""

    child: Node
    column: int = 0

    def __str__(self) -> str:
        return f"NOT {self.child}"


@dataclass(frozen=True, slots=True)
class Near:
    """``left`` and ``right`` at most ``distance`` words apart; ``ordered`` means left first."""

    left: Node
    right: Node
    distance: int
    ordered: bool = False
    column: int = 0

    def __str__(self) -> str:
        op = "ONEAR" if self.ordered else "NEAR"
        return f"({self.left} {op}/{self.distance} {self.right})"


@dataclass(frozen=True, slots=True)
class Field:
    """True when the text's ``name`` ("source" or "lang") is one of ``values`` (casefolded; a
    value ending in ``*`` is a prefix). It matches no words: it only narrows an ``And``."""

    name: str
    values: tuple[str, ...]
    column: int = 0

    def __str__(self) -> str:
        inner = self.values[0] if len(self.values) == 1 else "{" + "|".join(self.values) + "}"
        return f"{self.name}:{inner}"


@dataclass(frozen=True, slots=True)
class Scope:
    """``child``'s matches that lie in the text's title (its headline)."""

    child: Node
    name: str = "title"
    column: int = 0

    def __str__(self) -> str:
        return f"{self.name}:{self.child}"


Node = Term | And | Or | Not | Near | Field | Scope


def is_condition(node: Node) -> bool:
    """A ``Field``, or an OR of them: true or false of a whole text, matching no words."""
    if isinstance(node, Or):
        return all(is_condition(child) for child in node.children)
    return isinstance(node, Field)
