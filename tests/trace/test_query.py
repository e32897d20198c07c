"""The lucent-trace query language: precedence, quoting, wildcards, errors with columns,
and what each comparison matches in a real SQLite span table."""

from __future__ import annotations

import json
import sqlite3

import pytest

from lucent_runtime._span_store import SCHEMA
from lucent_runtime.trace._query import And, Comparison, QueryError, keys, parse_query, to_sql


def key_op_text(node: Comparison) -> tuple[str, str, str]:
    return (node.key, node.op, node.text)


def shape(node: object) -> object:
    """The tree as nested tuples: ("AND", ...), ("OR", ...), (key, op, text)."""
    if isinstance(node, Comparison):
        return key_op_text(node)
    kind = "AND" if isinstance(node, And) else "OR"
    return (kind, *(shape(part) for part in node.parts))  # type: ignore[attr-defined]


def test_the_standards_queries_parse() -> None:
    assert shape(parse_query('service.name="*" AND business.user_id="user-123"')) == (
        "AND",
        ("service.name", "=", "*"),
        ("business.user_id", "=", "user-123"),
    )
    assert shape(parse_query('business.workflow_id="yield-workflow-789"')) == (
        "business.workflow_id",
        "=",
        "yield-workflow-789",
    )
    query = parse_query(
        'business.process_name="yield_optimization" AND operation.duration_ms>30000'
    )
    assert shape(query) == (
        "AND",
        ("business.process_name", "=", "yield_optimization"),
        ("operation.duration_ms", ">", "30000"),
    )
    assert query.parts[1].number == 30000  # type: ignore[union-attr]


def test_and_binds_tighter_than_or() -> None:
    assert shape(parse_query("a=1 OR b=2 AND c=3")) == (
        "OR",
        ("a", "=", "1"),
        ("AND", ("b", "=", "2"), ("c", "=", "3")),
    )
    assert shape(parse_query("a=1 AND b=2 OR c=3")) == (
        "OR",
        ("AND", ("a", "=", "1"), ("b", "=", "2")),
        ("c", "=", "3"),
    )


def test_parentheses_override_precedence() -> None:
    assert shape(parse_query("(a=1 OR b=2) AND c=3")) == (
        "AND",
        ("OR", ("a", "=", "1"), ("b", "=", "2")),
        ("c", "=", "3"),
    )
    assert shape(parse_query("((a=1))")) == ("a", "=", "1")


def test_keywords_are_case_insensitive_and_chains_flatten() -> None:
    assert shape(parse_query("a=1 and b=2 And c=3 or d=4")) == (
        "OR",
        ("AND", ("a", "=", "1"), ("b", "=", "2"), ("c", "=", "3")),
        ("d", "=", "4"),
    )


def test_quoting() -> None:
    node = parse_query('msg="a AND b (c) = d"')
    assert isinstance(node, Comparison)
    assert node.text == "a AND b (c) = d"
    assert node.pattern is None
    single = parse_query("user='O\\'Brien'")
    assert isinstance(single, Comparison) and single.text == "O'Brien"
    escaped = parse_query(r'x="say \"hi\""')
    assert isinstance(escaped, Comparison) and escaped.text == 'say "hi"'
    spaced = parse_query('  a = "b"  ')
    assert isinstance(spaced, Comparison) and spaced.text == "b"


def test_wildcards_and_escaped_star() -> None:
    glob = parse_query('business.workflow_id="arbitrage-*"')
    assert isinstance(glob, Comparison) and glob.pattern == "arbitrage-*"
    bare = parse_query("service.name=risk*")
    assert isinstance(bare, Comparison) and bare.pattern == "risk*"
    literal = parse_query(r'note="5\* rating"')
    assert isinstance(literal, Comparison) and literal.pattern is None
    assert literal.text == "5* rating"
    # GLOB's own specials are literal in a query
    odd = parse_query('x="a?[b]*"')
    assert isinstance(odd, Comparison) and odd.pattern == "a[?][[]b]*"


def test_operators() -> None:
    for op in ("=", "!=", ">", "<", ">=", "<="):
        node = parse_query(f"operation.duration_ms{op}5")
        assert isinstance(node, Comparison) and node.op == op
    assert keys(parse_query("a=1 AND (b=2 OR a=3)")) == ["a", "b"]


@pytest.mark.parametrize(
    ("query", "column", "fragment"),
    [
        ("", 1, "empty query"),
        ('business.user_id="user-123', 18, "unterminated string"),
        ("business.user_id=", 18, "expected a value after '='"),
        ('business.user_id "x"', 18, "expected an operator"),
        ("a=1 AND", 8, "expected a key"),
        ("a=1 AND (b=2 OR c=3", 20, "expected ')' to close the '(' at column 9"),
        ("a=1)", 4, "unexpected ')'"),
        ("a=1 b=2", 5, "expected AND or OR"),
        ("a!1", 2, "did you mean '!='"),
        ("operation.duration_ms>slow", 23, "compares numbers"),
        ("AND=1", 1, "expected a key"),
        ("a*=1", 1, "expected a key"),
        ("a=OR", 3, "expected a value"),
        ("=1", 1, "expected a key"),
    ],
)
def test_errors_name_the_column(query: str, column: int, fragment: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(query)
    assert info.value.column == column, info.value
    assert fragment in info.value.message
    assert "\n" not in str(info.value)


# -- what a comparison matches, on a real span table -----------------------------------

SPANS = [
    # span_id, name, service, duration_ms, status, attributes
    ("s1", "arbitrage_execution", "trading", 40.0, "error", {"business.user_id": "user-123",
     "crypto.amount_usd": 50000.0, "crypto.risk_level": "high", "business.step_number": 3}),
    ("s2", "assess_risk", "risk-assessment", 5.0, "ok", {"business.user_id": "user-456",
     "crypto.amount_usd": 900, "crypto.risk_level": "low"}),
    ("s3", "publish UserCreated", "users", 1.5, "unset", {"business.user_id": "user-1234",
     "note": "5* rating"}),
]  # fmt: skip


@pytest.fixture
def table() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    for span_id, name, service, duration, status, attributes in SPANS:
        db.execute(
            "INSERT INTO spans VALUES ('t', ?, NULL, ?, 'internal', ?, 0, 0, ?, ?, NULL, ?, "
            "NULL, NULL)",
            (span_id, name, service, duration, status, json.dumps(attributes)),
        )
    return db


def matching(db: sqlite3.Connection, query: str) -> list[str]:
    where, params = to_sql(parse_query(query))
    rows = db.execute(f"SELECT span_id FROM spans WHERE {where} ORDER BY span_id", params)
    return [row[0] for row in rows]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('business.user_id="user-123"', ["s1"]),
        ("business.user_id=user-123*", ["s1", "s3"]),
        ('business.user_id!="user-123"', ["s2", "s3"]),
        ('service.name="*"', ["s1", "s2", "s3"]),
        ('crypto.risk_level="*"', ["s1", "s2"]),
        ("crypto.amount_usd=50000", ["s1"]),
        ('crypto.amount_usd="900"', ["s2"]),
        ("crypto.amount_usd>1000", ["s1"]),
        ("crypto.amount_usd<=900", ["s2"]),
        ("operation.duration_ms>30", ["s1"]),
        ("operation.duration_ms<2", ["s3"]),
        ("operation.name=assess_*", ["s2"]),
        ("status=ERROR", ["s1"]),
        ("service.name=risk-assessment OR service.name=users", ["s2", "s3"]),
        ("(crypto.risk_level=high OR crypto.risk_level=low) AND operation.duration_ms<10", ["s2"]),
        ("crypto.risk_level=high OR crypto.risk_level=low AND status=ok", ["s1", "s2"]),
        (r'note="5\* rating"', ["s3"]),
        ('note="5x rating"', []),
        ("business.step_number>2", ["s1"]),
        ("business.user_id>5", []),  # strings never compare as numbers
    ],
)  # fmt: skip
def test_what_queries_match(table: sqlite3.Connection, query: str, expected: list[str]) -> None:
    assert matching(table, query) == expected
