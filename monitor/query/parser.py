"""Recursive-descent parser from query text to the ``ast`` tree, with column-exact errors.

Precedence, tightest first: ``NOT`` > ``NEAR/n``, ``ONEAR/n`` > ``AND`` (explicit or implied by
adjacent terms) > ``OR``. So ``a b OR c`` is ``(a AND b) OR c`` and ``a OR b NEAR/3 c`` is
``a OR (b NEAR/3 c)``. Words are stemmed here, once, with the keyword's language.
"""

from __future__ import annotations

from monitor.errors import QueryError
from monitor.query import lexer as lx
from monitor.query.ast import EXACT, PREFIX, STEM, And, Atom, Near, Node, Not, Or, Term
from monitor.query.stem import NO_STEMMING, Stemmer, stemmer
from monitor.query.tokenize import forms

MAX_DEPTH = 32
_TERM_STARTS = frozenset({lx.WORD, lx.PHRASE, lx.LPAREN, lx.NOT})


def parse_query(query: str, language: str = "english") -> Node:
    """Parse ``query`` into a tree; QueryError with a 1-based column when it is malformed."""
    stem = stemmer(language)
    if not query.strip():
        raise QueryError("the query is empty", query=query, column=1)
    node = _Parser(query, stem).parse()
    _check(node, query, in_and=False)
    return node


class _Parser:
    def __init__(self, query: str, stem: Stemmer) -> None:
        self.query = query
        self.stem = stem
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
        if self.peek().kind != lx.RPAREN:
            raise self.fail("unbalanced parenthesis: this '(' is never closed", opening.column)
        self.advance()
        return node

    def word_term(self, lexeme: lx.Lexeme) -> Term:
        return Term(tuple(self.atoms(lexeme.text, lexeme.column)), lexeme.column)

    def phrase_term(self, lexeme: lx.Lexeme) -> Term:
        atoms: list[Atom] = []
        offset = 0
        for piece in lexeme.text.split():
            offset = lexeme.text.index(piece, offset)
            # Punctuation between words ("Marks & Spencer") is not a word and is skipped.
            if forms(piece) or "*" in piece or piece == "=":
                atoms.extend(self.atoms(piece, lexeme.column + 1 + offset))
            offset += len(piece)
        if not atoms:
            raise self.fail("this phrase has no letters or digits to match", lexeme.column)
        return Term(tuple(atoms), lexeme.column)

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
        if exact or self.stem.language == NO_STEMMING:
            return Atom(EXACT, word)
        return Atom(STEM, self.stem(word), self.stem.language)


def _check(node: Node, query: str, *, in_and: bool) -> None:
    """Refuse trees that parse but mean nothing useful: bare NOTs and NEAR across AND groups."""
    if isinstance(node, Not):
        if not in_and:
            raise _misplaced_not(node, query)
        _check(node.child, query, in_and=False)
    elif isinstance(node, And):
        _check_and(node, query)
    elif isinstance(node, Or):
        for child in node.children:
            _check(child, query, in_and=False)
    elif isinstance(node, Near):
        for side in (node.left, node.right):
            if not _positional(side):
                message = (
                    "NEAR and ONEAR join words, phrases, prefixes or OR-groups, not AND or NOT"
                )
                raise QueryError(message, query=query, column=node.column)
            _check(side, query, in_and=False)


def _check_and(node: And, query: str) -> None:
    if all(isinstance(child, Not) for child in node.children):
        first = node.children[0]
        raise QueryError(_NO_POSITIVE, query=query, column=first.column)
    for child in node.children:
        _check(child, query, in_and=True)


_NO_POSITIVE = "a query needs at least one positive term: NOT only narrows what other terms match"


def _misplaced_not(node: Not, query: str) -> QueryError:
    message = "NOT must follow the term it narrows, as in 'sanctions NOT football'"
    if node.column == 1 or query[: node.column - 1].strip() in ("", "("):
        message = _NO_POSITIVE
    return QueryError(message, query=query, column=node.column)


def _positional(node: Node) -> bool:
    if isinstance(node, Or):
        return all(_positional(child) for child in node.children)
    return isinstance(node, Term | Near)
