"""``[tool.lucent-lint]`` in ``pyproject.toml``: found, read and validated.

Unknown keys and wrong types are configuration errors that name the key (exit code 2).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
)

from lucent_lint.docs import names_a_rule

CODE_RE = re.compile(r"LUC\d{0,3}\Z")

DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pycache__",
    "node_modules",
    "build",
    "dist",
    ".eggs",
    "*.egg-info",
    ".lucent_lint_cache",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
)


#: 1 MB, about 25,000 lines: libcst's tree of a file takes some 600 times its size in
#: memory, so a file this large is checked in under 10 s and about 600 MB
DEFAULT_MAX_FILE_SIZE = 1_000_000


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and key."""


def check_codes(codes: Iterable[str]) -> None:
    """``ValueError`` for a code or prefix that names no rule (``LUC9``, ``E501``)."""
    for code in codes:
        if not CODE_RE.match(code) or not names_a_rule(code):
            raise ValueError(f"unknown rule code or prefix {code!r}")


def _validate_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from exc
    return value


class Settings(BaseModel):
    """The effective configuration of a run."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, frozen=True, alias_generator=None
    )

    select: tuple[str, ...] = ("LUC",)
    extend_select: tuple[str, ...] = Field(default=(), alias="extend-select")
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = Field(default=(), alias="extend-exclude")
    per_file_ignores: dict[str, tuple[str, ...]] = Field(default={}, alias="per-file-ignores")
    service_class_pattern: str = Field(default="Service$", alias="service-class-pattern")
    extra_base_classes: tuple[str, ...] = Field(default=(), alias="extra-base-classes")
    #: bases (qualified or last name) that make a class no service, whatever its name
    non_service_base_classes: tuple[str, ...] = Field(default=(), alias="non-service-base-classes")
    #: source roots (relative to the project root) that name modules in folders without
    #: ``__init__.py`` (PEP 420 namespace packages), as ruff's ``src``
    src: tuple[str, ...] = (".", "src")
    handler_name_pattern: str = Field(default="^(handle|on)_", alias="handler-name-pattern")
    extra_past_tense: tuple[str, ...] = Field(default=(), alias="extra-past-tense")
    #: offer and apply fixes that may change behaviour (``--unsafe-fixes``)
    unsafe_fixes: StrictBool = Field(default=False, alias="unsafe-fixes")
    #: files larger than this many bytes are skipped with a warning (0: no limit)
    max_file_size: StrictInt = Field(default=DEFAULT_MAX_FILE_SIZE, alias="max-file-size", ge=0)
    internal_host_patterns: tuple[str, ...] = Field(
        default=(
            r"\.internal\b",
            r"\.svc\b",
            r"\.cluster\.local\b",
            r"\.local\b",
            r"^localhost$",
            r"^127\.",
            r"-service\b",
            # a host name without a dot (a container or compose service: "risk-assessment")
            r"^[a-z0-9][a-z0-9-]*$",
            # private IPv4 ranges and the IPv6 loopback
            r"^10\.",
            r"^192\.168\.",
            r"^172\.(1[6-9]|2[0-9]|3[01])\.",
            r"^::1$",
        ),
        alias="internal-host-patterns",
    )

    @field_validator("select", "extend_select", "ignore")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        check_codes(value)
        return value

    @field_validator("per_file_ignores")
    @classmethod
    def _pfi_codes(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for codes in value.values():
            check_codes(codes)
        return value

    @field_validator("service_class_pattern", "handler_name_pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        return _validate_regex(value)

    @field_validator("internal_host_patterns")
    @classmethod
    def _regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            _validate_regex(pattern)
        return value

    @cached_property
    def service_class_regex(self) -> re.Pattern[str]:
        return re.compile(self.service_class_pattern)

    @cached_property
    def handler_name_regex(self) -> re.Pattern[str]:
        return re.compile(self.handler_name_pattern)

    @cached_property
    def internal_host_regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.internal_host_patterns)

    def digest(self) -> str:
        """A stable hash of everything that can change findings (cache keys)."""
        raw = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


#: what a pydantic type error expected, in TOML's words
_EXPECTED = {
    "tuple_type": "an array",
    "list_type": "an array",
    "dict_type": "a table",
    "string_type": "a string",
    "bool_type": "a boolean",
    "int_type": "an integer",
}


def _key(loc: tuple[int | str, ...]) -> str:
    """``select[1]``, ``per-file-ignores."tests/*.py"[0]``: where in the table."""
    if not loc:
        return "(table)"
    key = str(loc[0])
    for part in loc[1:]:
        key += f"[{part}]" if isinstance(part, int) else f".{json.dumps(part)}"
    return key


def _format_validation_error(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        key = _key(err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown key {key!r} in [tool.lucent-lint]")
            continue
        if err["type"] == "value_error":
            message = str(err["ctx"]["error"])
        elif err["type"] == "greater_than_equal":
            message = f"must be {err['ctx']['ge']} or more, got {err['input']!r}"
        elif err["type"] in _EXPECTED:
            message = f"expected {_EXPECTED[err['type']]}, got {_toml_type(err['input'])}"
        else:
            message = err["msg"]
        lines.append(f"{source}: [tool.lucent-lint] {key}: {message}")
    return "\n".join(lines)


def settings_from_mapping(raw: dict[str, Any], source: str = "configuration") -> Settings:
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, source)) from None


def _read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's content, or a ConfigError naming the file and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, expected a TOML configuration file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _tool_table(data: dict[str, Any], path: Path) -> dict[str, Any]:
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table, got {_toml_type(tool)}")
    return tool


def _toml_type(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    names.update({list: "an array", dict: "a table"})
    return names.get(type(value), type(value).__name__)


def load_file(path: Path) -> tuple[Settings, Path]:
    """Read ``[tool.lucent-lint]`` from a pyproject.toml (or a lucent-lint.toml whose top
    level is the table itself). Returns the settings and the project root."""
    data = _read_toml(path)
    if path.name == "pyproject.toml" or "tool" in data:
        table = _tool_table(data, path).get("lucent-lint", {})
    else:
        table = data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.lucent-lint] must be a table, got {_toml_type(table)}")
    return settings_from_mapping(table, str(path)), path.parent


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has ``[tool.lucent-lint]``,
    else the nearest pyproject.toml at all. One that cannot be read or parsed is returned
    as it is, so that :func:`load_file` reports what is wrong with it."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    first: Path | None = None
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            first = first or candidate
            try:
                if "lucent-lint" in _tool_table(_read_toml(candidate), candidate):
                    return candidate
            except ConfigError:
                return candidate
    return first


def discover(paths: list[Path], explicit: Path | None = None) -> tuple[Settings, Path]:
    """The settings for a run over ``paths`` and the project root they are relative to."""
    if explicit is not None:
        return load_file(explicit)
    start = paths[0] if paths else Path.cwd()
    found = find_pyproject(start)
    if found is None:
        return Settings(), Path.cwd().resolve()
    return load_file(found)
