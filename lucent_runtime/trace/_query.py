"""The query language of ``lucent-trace``: the standard's Jaeger-style span queries.

::

    query      := or_expr
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := term ("AND" term)*
    term       := "(" or_expr ")" | key op value
    op         := "=" | "!=" | ">" | "<" | ">=" | "<="
    value      := "double quoted" | 'single quoted' | bare_word

``AND`` binds tighter than ``OR`` (both case-insensitive). In ``=`` and ``!=`` a ``*``
matches any run of characters (``\\*`` inside quotes is a literal star); ``key="*"`` means
the span has the attribute. ``>`` and ``<`` take numbers. A query matches a span; a trace
matches when one of its spans does.

A few keys are the span's own fields, not attributes: ``operation.duration_ms`` (the
span's duration in milliseconds), ``operation.name`` (the span's name), ``service.name``
(the service: the span's attribute, else its resource's) and ``status``
(``ok``/``error``/``unset``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["And", "Comparison", "Or", "Query", "QueryError", "parse_query"]

#: query keys that are columns of the span store, not attributes
FIELDS = {
    "operation.duration_ms": "duration_ms",
    "operation.name": "name",
    "service.name": "service",
    "status": "status",
}

_OPERATORS = ("!=", ">=", "<=", "=", ">", "<")
_STOP = set("()=!<>\"'") | {" ", "\t", "\n", "\r"}


class QueryError(ValueError):
    """A query that does not parse; ``column`` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.message = message
        self.column = column


@dataclass(frozen=True)
class Comparison:
    key: str
    op: str
    #: the value's text, wildcards removed from consideration (``\\*`` unescaped)
    text: str
    #: a SQLite GLOB pattern when the value has an unescaped ``*``, else None
    pattern: str | None
    #: the value as a number, when it reads as one
    number: float | None
    column: int


@dataclass(frozen=True)
class And:
    parts: tuple[Query, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Query, ...]


Query = Comparison | And | Or


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "string", "op", "(", ")", "end"
    text: str
    column: int
    #: for values: the GLOB pattern and whether a wildcard occurs
    pattern: str | None = None


def _glob_escape(char: str) -> str:
    return f"[{char}]" if char in "*?[" else char


def _read_quoted(query: str, start: int) -> tuple[_Token, int]:
    quote = query[start]
    text: list[str] = []
    pattern: list[str] = []
    wildcard = False
    i = start + 1
    while i < len(query):
        char = query[i]
        if char == quote:
            token = _Token(
                "string", "".join(text), start + 1, "".join(pattern) if wildcard else None
            )
            return token, i + 1
        if char == "\\" and i + 1 < len(query):
            i += 1
            char = query[i]
            text.append(char)
            pattern.append(_glob_escape(char))
        elif char == "*":
            wildcard = True
            text.append(char)
            pattern.append("*")
        else:
            text.append(char)
            pattern.append(_glob_escape(char))
        i += 1
    raise QueryError(f"unterminated string: no closing {quote}", start + 1)


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(query):
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token(char, char, i + 1))
            i += 1
        elif char in "\"'":
            token, i = _read_quoted(query, i)
            tokens.append(token)
        elif char in "=!<>":
            op = next((op for op in _OPERATORS if query.startswith(op, i)), None)
            if op is None:
                raise QueryError(f"unexpected {char!r}: did you mean '!='?", i + 1)
            tokens.append(_Token("op", op, i + 1))
            i += len(op)
        else:
            start = i
            while i < len(query) and query[i] not in _STOP:
                i += 1
            word = query[start:i]
            pattern = "".join(_glob_escape(c) if c != "*" else "*" for c in word)
            tokens.append(_Token("word", word, start + 1, pattern if "*" in word else None))
    tokens.append(_Token("end", "", len(query) + 1))
    return tokens


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "the end of the query"
    return repr(token.text) if token.kind != "string" else f'"{token.text}"'


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = _tokens(query)
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def keyword(self, name: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text.upper() == name

    def parse(self) -> Query:
        if self.peek().kind == "end":
            raise QueryError("empty query: expected key=value", 1)
        query = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            hint = "AND or OR" if token.kind != ")" else "no unmatched ')'"
            raise QueryError(f"unexpected {_describe(token)}: expected {hint}", token.column)
        return query

    def chain(self, keyword: str, operand: Callable[[], Query], node: type[And | Or]) -> Query:
        """``operand (keyword operand)*``, one node for the whole chain."""
        parts = [operand()]
        while self.keyword(keyword):
            self.take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else node(tuple(parts))

    def or_expr(self) -> Query:
        return self.chain("OR", self.and_expr, Or)

    def and_expr(self) -> Query:
        return self.chain("AND", self.term, And)

    def term(self) -> Query:
        token = self.take()
        if token.kind == "(":
            inner = self.or_expr()
            close = self.take()
            if close.kind != ")":
                raise QueryError(
                    f"expected ')' to close the '(' at column {token.column}, "
                    f"got {_describe(close)}",
                    close.column,
                )
            return inner
        if token.kind != "word" or token.text.upper() in {"AND", "OR"} or token.pattern:
            raise QueryError(
                f"expected a key (like business.user_id), got {_describe(token)}", token.column
            )
        op = self.take()
        if op.kind != "op":
            raise QueryError(
                f"expected an operator (=, !=, >, <) after {token.text!r}, got {_describe(op)}",
                op.column,
            )
        value = self.take()
        if value.kind not in {"word", "string"} or (
            value.kind == "word" and value.text.upper() in {"AND", "OR"}
        ):
            raise QueryError(
                f"expected a value after {op.text!r}, got {_describe(value)}", value.column
            )
        number = _number(value.text)
        if op.text in {">", "<", ">=", "<="}:
            if number is None:
                raise QueryError(
                    f"{op.text!r} compares numbers; {_describe(value)} is not a number",
                    value.column,
                )
            return Comparison(token.text, op.text, value.text, None, number, token.column)
        return Comparison(token.text, op.text, value.text, value.pattern, number, token.column)


def parse_query(query: str) -> Query:
    """The query's syntax tree. Raises :class:`QueryError` naming the column."""
    return _Parser(query).parse()


def keys(query: Query) -> list[str]:
    """The keys the query names, in order, each once."""
    if isinstance(query, Comparison):
        return [query.key]
    seen: dict[str, None] = {}
    for part in query.parts:
        seen.update(dict.fromkeys(keys(part)))
    return list(seen)


def to_sql(query: Query) -> tuple[str, list[object]]:
    """A WHERE condition over the ``spans`` table, and its parameters."""
    if isinstance(query, And | Or):
        joiner = " AND " if isinstance(query, And) else " OR "
        sqls, params = [], []
        for part in query.parts:
            sql, part_params = to_sql(part)
            sqls.append(sql)
            params.extend(part_params)
        return "(" + joiner.join(sqls) + ")", params
    column = FIELDS.get(query.key)
    if column is not None:
        field, params = column, []
    else:
        field, params = "json_extract(attributes, ?)", [f'$."{query.key}"']
    if query.op in {">", "<", ">=", "<="}:
        sql = f"(typeof({field}) IN ('integer', 'real') AND {field} {query.op} ?)"
        return sql, [*params, *params, query.number]
    if query.pattern == "*":
        equal, eq_params = f"{field} IS NOT NULL", params
    elif query.pattern is not None:
        equal, eq_params = f"CAST({field} AS TEXT) GLOB ?", [*params, query.pattern]
    elif query.number is not None:
        equal = f"({field} = ? OR CAST({field} AS TEXT) = ?)"
        eq_params = [*params, query.number, *params, query.text]
    else:
        text = query.text.lower() if query.key == "status" else query.text
        equal, eq_params = f"CAST({field} AS TEXT) = ?", [*params, text]
    if query.op == "=":
        return equal, eq_params
    # != : the span has the key, with another value
    return f"({field} IS NOT NULL AND NOT {equal})", [*params, *eq_params]
