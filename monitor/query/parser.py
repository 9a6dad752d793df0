"""Recursive-descent parser from query text to the ``ast`` tree, with column-exact errors.

Precedence, tightest first: ``NOT`` > ``NEAR/n``, ``ONEAR/n`` > ``AND`` (explicit or implied by
adjacent terms) > ``OR``. So ``a b OR c`` is ``(a AND b) OR c`` and ``a OR b NEAR/3 c`` is
``a OR (b NEAR/3 c)``. Words are stemmed here, once, with the keyword's language; a keyword in
"auto" keeps each word's form, to be stemmed in each text's own language when it is matched.
An alias group (``{Kyiv|Kiev|"Kryvyi Rih"}``, also inside a phrase) becomes an ``Or`` of its
spellings; ``title:`` wraps the term after it in a ``Scope``; ``source:`` and ``lang:`` make a
``Field``.
"""

from __future__ import annotations

import re
from itertools import product

from monitor.errors import QueryError
from monitor.query import lexer as lx
from monitor.query.ast import (
    EXACT,
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
from monitor.query.language import declared
from monitor.query.stem import AUTO, NO_STEMMING, check_language, stemmer
from monitor.query.tokenize import forms

MAX_DEPTH = 32
MAX_SPELLINGS = 64  # phrases one phrase with alias groups in it may stand for
_TERM_STARTS = frozenset({lx.WORD, lx.PHRASE, lx.LPAREN, lx.NOT, lx.LBRACE, lx.FIELD})
_PHRASE_PIECE = re.compile(r"\{[^{}]*\}|[^\s{}]+|[{}]")
_SOURCE_VALUE = re.compile(r"[a-z0-9][a-z0-9_.-]*\*?|[a-z0-9]+\*")


def parse_query(query: str, language: str = "english") -> Node:
    """Parse ``query`` into a tree; QueryError with a 1-based column when it is malformed."""
    check_language(language)
    if not query.strip():
        raise QueryError("the query is empty", query=query, column=1)
    node = _Parser(query, language).parse()
    _check(node, query, in_and=False)
    return node


class _Parser:
    def __init__(self, query: str, language: str) -> None:
        self.query = query
        self.language = language
        self.stem = None if language in (AUTO, NO_STEMMING) else stemmer(language)
        self.lexemes = list(lx.lex(query))
        self.pos = 0

    def fail(self, message: str, column: int) -> QueryError:
        return QueryError(message, query=self.query, column=column)

    def peek(self) -> lx.Lexeme:
        return self.lexemes[self.pos]

    def advance(self) -> lx.Lexeme:
        lexeme = self.lexemes[self.pos]
        self.pos += 1
        return lexeme

    def parse(self) -> Node:
        node = self.or_expr(0)
        extra = self.peek()
        if extra.kind == lx.RPAREN:
            raise self.fail("unbalanced parenthesis: this ')' has no matching '('", extra.column)
        if extra.kind != lx.END:
            return self.primary(0)  # says what is wrong with it
        return node

    def or_expr(self, depth: int) -> Node:
        children = [self.and_expr(depth)]
        while self.peek().kind == lx.OR:
            self.need_right(self.advance())
            children.append(self.and_expr(depth))
        return children[0] if len(children) == 1 else Or(tuple(children), children[0].column)

    def and_expr(self, depth: int) -> Node:
        children = [self.near_expr(depth)]
        while True:
            if self.peek().kind == lx.AND:
                self.need_right(self.advance())
            elif self.peek().kind not in _TERM_STARTS:
                break
            children.append(self.near_expr(depth))
        return children[0] if len(children) == 1 else And(tuple(children), children[0].column)

    def near_expr(self, depth: int) -> Node:
        left = self.unary(depth)
        chained = 0
        while self.peek().kind in (lx.NEAR, lx.ONEAR):
            op = self.advance()
            self.need_right(op)
            chained += 1
            if chained > MAX_DEPTH:
                raise self.fail("too many NEAR operators in a row", op.column)
            right = self.unary(depth)
            left = Near(left, right, op.distance, op.kind == lx.ONEAR, op.column)
        return left

    def unary(self, depth: int) -> Node:
        if self.peek().kind != lx.NOT:
            return self.primary(depth)
        op = self.advance()
        self.need_right(op)
        if depth >= MAX_DEPTH:
            raise self.fail("the query is nested too deeply", op.column)
        return Not(self.unary(depth + 1), op.column)

    def need_right(self, op: lx.Lexeme) -> None:
        if self.peek().kind not in _TERM_STARTS:
            name = op.text if op.kind in (lx.NEAR, lx.ONEAR) else op.kind
            raise self.fail(f"{name} needs a term on its right", op.column)

    def primary(self, depth: int) -> Node:
        lexeme = self.peek()
        if lexeme.kind == lx.WORD:
            return self.word_term(self.advance())
        if lexeme.kind == lx.PHRASE:
            return self.phrase_term(self.advance())
        if lexeme.kind == lx.LPAREN:
            return self.group(depth)
        if lexeme.kind == lx.LBRACE:
            return self.alias_group()
        if lexeme.kind == lx.FIELD:
            return self.field(depth)
        if lexeme.kind in (lx.PIPE, lx.RBRACE):
            message = f"'{lexeme.kind}' belongs in an alias group, as in {{Kyiv|Kiev}}"
            raise self.fail(message, lexeme.column)
        if lexeme.kind == lx.RPAREN:
            raise self.fail("unbalanced parenthesis: this ')' has no matching '('", lexeme.column)
        if lexeme.kind == lx.END:
            raise self.fail("the query ends where a term was expected", lexeme.column)
        name = lexeme.text if lexeme.kind in (lx.NEAR, lx.ONEAR) else lexeme.kind
        raise self.fail(f"{name} needs a term on its left", lexeme.column)

    def group(self, depth: int) -> Node:
        opening = self.advance()
        if depth >= MAX_DEPTH:
            raise self.fail("the query is nested too deeply", opening.column)
        if self.peek().kind == lx.RPAREN:
            raise self.fail("empty parentheses: put a term inside", opening.column)
        node = self.or_expr(depth + 1)
        if self.peek().kind in (lx.PIPE, lx.RBRACE):
            self.primary(depth)  # says what is wrong with it
        if self.peek().kind != lx.RPAREN:
            raise self.fail("unbalanced parenthesis: this '(' is never closed", opening.column)
        self.advance()
        return node

    def word_term(self, lexeme: lx.Lexeme) -> Term:
        return Term(tuple(self.atoms(lexeme.text, lexeme.column)), lexeme.column)

    def phrase_term(self, lexeme: lx.Lexeme) -> Node:
        """A phrase; one with alias groups in it (``"{Kyiv|Kiev} region"``) is the OR of the
        phrases it spells."""
        slots: list[list[list[Atom]]] = []
        for piece in _PHRASE_PIECE.finditer(lexeme.text):
            column = lexeme.column + 1 + piece.start()
            if piece.group().startswith("{"):
                slots.append(self.phrase_spellings(piece.group(), column))
            elif atoms := self.phrase_atoms(piece.group(), column):
                slots.append([atoms])
        if not slots:
            raise self.fail("this phrase has no letters or digits to match", lexeme.column)
        combos = 1
        for options in slots:
            combos *= len(options)
        if combos > MAX_SPELLINGS:
            message = f"this phrase spells {combos} phrases, more than {MAX_SPELLINGS}"
            raise self.fail(message, lexeme.column)
        terms = [Term(tuple(a for part in parts for a in part), lexeme.column)
                 for parts in product(*slots)]  # fmt: skip
        return _either(terms, lexeme.column)

    def phrase_spellings(self, group: str, column: int) -> list[list[Atom]]:
        if group in ("{", "}") or group == "{}" or not group[1:-1].strip():
            raise self.fail("an alias group in a phrase needs spellings, as in {Kyiv|Kiev}", column)
        found: list[list[Atom]] = []
        for spelling in group[1:-1].split("|"):
            atoms = [a for piece in spelling.split() for a in self.phrase_atoms(piece, column)]
            if not atoms:
                raise self.fail("an empty spelling in an alias group", column)
            found.append(atoms)
        return found

    def phrase_atoms(self, piece: str, column: int) -> list[Atom]:
        # Punctuation between words ("Marks & Spencer") is not a word and is skipped.
        if forms(piece) or "*" in piece or piece == "=":
            return self.atoms(piece, column)
        return []

    def alias_group(self) -> Node:
        """``{Kyiv | Kiev | "Kryvyi Rih" | Kryvyi Rih}``: spellings of one name, one term."""
        opening = self.peek()
        terms = []
        for spelling in self.spellings():
            atoms: list[Atom] = []
            for lexeme in spelling:
                node = (
                    self.word_term(lexeme) if lexeme.kind == lx.WORD else self.phrase_term(lexeme)
                )
                if not isinstance(node, Term):
                    raise self.fail(
                        "a quoted spelling in {…} cannot hold another {…}", lexeme.column
                    )
                atoms.extend(node.atoms)
            terms.append(Term(tuple(atoms), spelling[0].column))
        return _either(terms, opening.column)

    def spellings(self) -> list[list[lx.Lexeme]]:
        """The spellings of an alias group: runs of words and phrases between bars."""
        opening = self.advance()
        found: list[list[lx.Lexeme]] = [[]]
        while True:
            lexeme = self.advance()
            if lexeme.kind in (lx.WORD, lx.PHRASE):
                found[-1].append(lexeme)
                continue
            if lexeme.kind in (lx.PIPE, lx.RBRACE) and not found[-1]:
                message = "empty {}: list spellings inside, as in {Kyiv|Kiev}"
                if len(found) > 1 or lexeme.kind == lx.PIPE:
                    message = (
                        "an empty spelling in an alias group: two '|' in a row, or one at an end"
                    )
                raise self.fail(message, lexeme.column)
            if lexeme.kind == lx.PIPE:
                found.append([])
            elif lexeme.kind == lx.RBRACE:
                return found
            elif lexeme.kind == lx.END:
                raise self.fail("this '{' is never closed", opening.column)
            else:
                message = "an alias group lists spellings (words or phrases) separated by '|'"
                raise self.fail(message, lexeme.column)

    def field(self, depth: int) -> Node:
        lexeme = self.advance()
        if lexeme.text == "title":
            if self.peek().kind not in (lx.WORD, lx.PHRASE, lx.LPAREN, lx.LBRACE):
                message = "title: needs a word, phrase, {spellings} or (group) right after it"
                raise self.fail(message, lexeme.column)
            return Scope(self.primary(depth), "title", lexeme.column)
        if self.peek().kind == lx.LBRACE:
            spellings = self.spellings()
        elif self.peek().kind == lx.WORD:
            spellings = [[self.advance()]]
        else:
            raise self.fail(f"{lexeme.text}: needs a value right after it, as in "
                            f"{_EXAMPLES[lexeme.text]}", lexeme.column)  # fmt: skip
        values = [self.field_value(lexeme.text, spelling) for spelling in spellings]
        return Field(lexeme.text, tuple(dict.fromkeys(values)), lexeme.column)

    def field_value(self, name: str, spelling: list[lx.Lexeme]) -> str:
        first = spelling[0]
        if len(spelling) > 1 or first.kind != lx.WORD:
            raise self.fail(f"{name}: takes one word per value, as in {_EXAMPLES[name]}",
                            first.column)  # fmt: skip
        if name == "lang":
            code = declared(first.text)
            if code is None or "*" in first.text:
                message = f"lang: takes a language code, such as uk, ru or en, not {first.text!r}"
                raise self.fail(message, first.column)
            return code
        value = first.text.casefold()
        if not _SOURCE_VALUE.fullmatch(value):
            message = (
                f"source: takes a source name (letters, digits, '_', '.', '-'), not {first.text!r}"
            )
            raise self.fail(message, first.column)
        return value

    def atoms(self, piece: str, column: int) -> list[Atom]:
        if piece == "=":
            raise self.fail("'=' needs a word right after it, as in =Apple", column)
        exact = piece.startswith("=")
        body = piece[1:] if exact else piece
        prefix = body.endswith("*")
        core = body.rstrip("*") if prefix else body
        self.check_piece(piece, core, column + int(exact))
        words = forms(core)
        atoms = [self.atom(w, exact) for w in words]
        if prefix:
            atoms[-1] = Atom(PREFIX, words[-1])
        return atoms

    def check_piece(self, piece: str, core: str, column: int) -> None:
        if "*" in core:
            message = "'*' is allowed only at the end of a word, as in troop*"
            raise self.fail(message, column + core.index("*"))
        if forms(core):
            return
        if not core:
            raise self.fail(
                "'*' alone matches nothing: put letters before it, as in troop*", column
            )
        raise self.fail(f"{piece!r} has no letters or digits to match", column)

    def atom(self, word: str, exact: bool) -> Atom:
        if exact or self.language == NO_STEMMING:
            return Atom(EXACT, word)
        if self.stem is None:
            return Atom(STEM, word, AUTO)
        return Atom(STEM, self.stem(word), self.language)


_EXAMPLES = {"lang": "lang:uk or lang:{uk|ru}", "source": "source:kyiv-independent"}


def _either(terms: list[Term], column: int) -> Node:
    """One term, or the OR of several (the same spelling twice counted once)."""
    unique = list({t.atoms: t for t in terms}.values())
    return unique[0] if len(unique) == 1 else Or(tuple(unique), column)


def _check(node: Node, query: str, *, in_and: bool) -> None:
    """Refuse trees that parse but mean nothing useful: bare NOTs, NEAR across AND groups,
    and fields that narrow nothing."""
    if is_condition(node):
        if not in_and:
            raise QueryError(_LONE_FIELD, query=query, column=node.column)
    elif isinstance(node, Not):
        if not in_and:
            raise _misplaced_not(node, query)
        if not is_condition(node.child):
            _check(node.child, query, in_and=False)
    elif isinstance(node, And):
        _check_and(node, query)
    elif isinstance(node, Or):
        for child in node.children:
            _check(child, query, in_and=False)
    elif isinstance(node, Scope):
        if not _positional(node.child):
            message = "title: holds words, phrases, {spellings}, OR-groups or NEAR, not AND or NOT"
            raise QueryError(message, query=query, column=node.column)
        _check(node.child, query, in_and=False)
    elif isinstance(node, Near):
        for side in (node.left, node.right):
            if not _positional(side):
                message = (
                    "NEAR and ONEAR join words, phrases, prefixes or OR-groups, not AND or NOT"
                )
                raise QueryError(message, query=query, column=node.column)
            _check(side, query, in_and=False)


def _check_and(node: And, query: str) -> None:
    if all(isinstance(child, Not) or is_condition(child) for child in node.children):
        first = node.children[0]
        message = _NO_POSITIVE if isinstance(first, Not) else _LONE_FIELD
        raise QueryError(message, query=query, column=first.column)
    for child in node.children:
        _check(child, query, in_and=True)


_LONE_FIELD = (
    "source: and lang: only narrow what words match: join them to a word with AND, "
    "as in 'sanctions AND lang:uk'"
)
_NO_POSITIVE = "a query needs at least one positive term: NOT only narrows what other terms match"


def _misplaced_not(node: Not, query: str) -> QueryError:
    message = "NOT must follow the term it narrows, as in 'sanctions NOT football'"
    if node.column == 1 or query[: node.column - 1].strip() in ("", "("):
        message = _NO_POSITIVE
    return QueryError(message, query=query, column=node.column)


def _positional(node: Node) -> bool:
    if isinstance(node, Or):
        return all(_positional(child) for child in node.children)
    return isinstance(node, Term | Near | Scope)
