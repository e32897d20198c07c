"""Fuzzing in the test suite: generated programs (hypothesmith) and mutated fixtures keep
the properties of :mod:`.fuzzing`. The default run is bounded and seeded (a few seconds);
``pytest -m fuzz`` runs many more inputs."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings

from .fuzzing import IN_SCOPE, check_properties, fix_properties
from .helpers import REPO

FIXTURES = sorted((REPO / "fixtures").rglob("*.py"))

# -- generated programs ------------------------------------------------------------------

BOUNDED = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
LONG = settings(BOUNDED, max_examples=1500)
#: generating from libcst nodes takes about half a second an example
LONG_NODES = settings(BOUNDED, max_examples=400)


def _generated(source: str) -> None:
    if check_properties(IN_SCOPE + source):
        fix_properties(IN_SCOPE + source)


@BOUNDED
@given(hypothesmith.from_grammar())
def test_generated_from_the_grammar(source: str) -> None:
    _generated(source)


@settings(BOUNDED, max_examples=10)  # generating from nodes is the slow part
@given(hypothesmith.from_node())
def test_generated_from_libcst_nodes(source: str) -> None:
    _generated(source)


@pytest.mark.fuzz
@LONG
@given(hypothesmith.from_grammar())
def test_generated_from_the_grammar_long(source: str) -> None:
    _generated(source)


@pytest.mark.fuzz
@LONG_NODES
@given(hypothesmith.from_node())
def test_generated_from_libcst_nodes_long(source: str) -> None:
    _generated(source)


# -- mutated fixtures --------------------------------------------------------------------

Mutation = Callable[[list[str], random.Random], list[str]]


def _at(lines: list[str], rng: random.Random) -> int:
    return rng.randrange(len(lines)) if lines else 0


def delete_line(lines: list[str], rng: random.Random) -> list[str]:
    i = _at(lines, rng)
    return lines[:i] + lines[i + 1 :]


def duplicate_line(lines: list[str], rng: random.Random) -> list[str]:
    i = _at(lines, rng)
    return lines[: i + 1] + lines[i:]


def dedent_line(lines: list[str], rng: random.Random) -> list[str]:
    i = _at(lines, rng)
    return [*lines[:i], lines[i][4:] if i < len(lines) else "", *lines[i + 1 :]]


def insert_text(text: str) -> Mutation:
    def mutate(lines: list[str], rng: random.Random) -> list[str]:
        i = _at(lines, rng)
        indent = ""
        if i < len(lines):
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        return [*lines[:i], indent + text, *lines[i:]]

    mutate.__name__ = f"insert {text.strip()!r}"
    return mutate


def insert_character(lines: list[str], rng: random.Random) -> list[str]:
    i = _at(lines, rng)
    if i >= len(lines):
        return lines
    line = lines[i]
    at = rng.randrange(len(line) + 1)
    char = rng.choice(["(", ")", ":", "\\", "'", '"', "\t", "\f", "\u2028", "#", ",", "*"])
    return [*lines[:i], line[:at] + char + line[at:], *lines[i + 1 :]]


def truncate(lines: list[str], rng: random.Random) -> list[str]:
    i = _at(lines, rng)
    return lines[:i] + ([lines[i][: len(lines[i]) // 2]] if i < len(lines) else [])


def bare_excepts(lines: list[str], rng: random.Random) -> list[str]:
    """Turn typed handlers bare and drop causes: more for the fixes to do."""
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith("except ") and rng.random() < 0.7:
            line = line[: len(line) - len(stripped)] + "except:\n"
        elif stripped.startswith("raise ") and " from " in line:
            line = line.split(" from ")[0] + "\n"
        out.append(line)
    return out


MUTATIONS: list[Mutation] = [
    delete_line,
    duplicate_line,
    dedent_line,
    insert_character,
    truncate,
    bare_excepts,
    insert_text("await refresh()\n"),
    insert_text("return None\n"),
    insert_text("except ValueError, err:\n"),
    insert_text("\\\n"),
    insert_text("\f\n"),
    insert_text("# noqa: LUC001\n"),
    insert_text("x = " + "(" * 250 + ")" * 250 + "\n"),
    insert_text("x = " + "+".join(["1"] * 300) + "\n"),
    insert_text("type Alias = int\n"),
    insert_text("del err\n"),
]


def mutants(count: int, seed: int) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        fixture = FIXTURES[n % len(FIXTURES)]
        lines = fixture.read_text(encoding="utf-8").splitlines(keepends=True)
        names = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            mutation = rng.choice(MUTATIONS)
            lines = mutation(lines, rng)
            names.append(mutation.__name__)
        out.append((fixture.relative_to(REPO).as_posix(), "+".join(names), "".join(lines)))
    return out


def _mutated(text: str) -> None:
    if check_properties(text):
        fix_properties(text)


@pytest.mark.parametrize(("fixture", "mutation", "text"), mutants(60, seed=12))
def test_mutated_fixture(fixture: str, mutation: str, text: str) -> None:
    _mutated(text)


@pytest.mark.fuzz
def test_mutated_fixtures_long() -> None:
    failures = []
    for fixture, mutation, text in mutants(3000, seed=2026):
        try:
            _mutated(text)
        except AssertionError as exc:
            failures.append(f"{fixture} ({mutation}): {str(exc)[:200]}")
    assert failures == [], "\n".join(failures[:20])


@pytest.mark.fuzz
def test_fixtures_unmutated_keep_the_properties() -> None:
    for fixture in FIXTURES:
        _mutated(Path(fixture).read_text(encoding="utf-8"))
