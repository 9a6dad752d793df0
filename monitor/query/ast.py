"""The typed expression tree a keyword query parses into.

Leaves are ``Term``s: one word, or a phrase of several, each word an ``Atom`` that matches a
token by stem, by exact form or by prefix. Inner nodes are ``And``, ``Or``, ``Not`` and
``Near``. Every node records the 1-based column where it starts, for error messages.
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


Node = Term | And | Or | Not | Near
