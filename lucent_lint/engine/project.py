"""The repository-wide index: every class and its bases, across files.

Files that are checked contribute their classes from the tree the engine already walks.
Files the engine does not parse (no service code in them) contribute through a cheap text
scan of their ``class`` and ``import`` statements, so that a chain of project-local bases
(``A(B)``, ``B(C)`` in another module, ``C(CryptoTradingServiceBase)``) resolves wherever
its links live.

A capitalised name a module imports at top level (``from .base import TradingBase as
Base``) is recorded like a class whose only base is what it names, so a chain through a
re-export (``pkg.Base`` -> ``pkg.base.TradingBase``) resolves as well.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from lucent_runtime.framework import SERVICE_BASES as RUNTIME_BASES

if TYPE_CHECKING:
    from lucent_lint.config import Settings

__all__ = [
    "NOT_A_SERVICE",
    "ORM_BASE",
    "ORM_BASE_FACTORIES",
    "RUNTIME_BASES",
    "ProjectIndex",
    "module_name_for",
    "scan_classes",
    "source_root_aliases",
]

#: recorded as a base of a class named like a service that is, by itself, no service (an
#: interface, a dataclass...): its subclasses are judged on their own
NOT_A_SERVICE = "<not-a-service>"
#: what ``Base = declarative_base()`` is recorded as extending
ORM_BASE = "sqlalchemy.orm.DeclarativeBase"
ORM_BASE_FACTORIES = frozenset({"declarative_base", "as_declarative", "generate_base"})

#: ancestors that make a class an exception or a data model, whatever its name: a class
#: reaching one of them (and no runtime base) is not a service
NON_SERVICE_ROOTS = frozenset(
    {
        "BaseException",
        "Exception",
        "Warning",
        "BaseModel",
        "RootModel",
        "BaseSettings",
        "GenericModel",
        "SQLModel",
        "Enum",
        "IntEnum",
        "StrEnum",
        "Flag",
        "IntFlag",
        "ReprEnum",
        "TypedDict",
        "NamedTuple",
        "DeclarativeBase",
        "DeclarativeBaseNoMeta",
        "Struct",
    }
)
#: the same, only under these qualified names (too common a last name to trust alone)
_NON_SERVICE_QUALIFIED = frozenset(
    {"django.db.models.Model", "django.db.models.base.Model", "msgspec.Struct"}
)
_EXCEPTION_SUFFIXES = ("Error", "Exception", "Warning")


def module_name_for(path: Path) -> tuple[str, bool]:
    """The dotted module name of a file (walking up through ``__init__.py`` packages) and
    whether the file is a package's ``__init__``."""
    path = path.resolve()
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.append(directory.name)
        if directory.parent == directory:
            break
        directory = directory.parent
    return ".".join(reversed(parts)), is_package


@lru_cache(maxsize=256)
def _project_root(directory: str) -> str | None:
    """The nearest directory at or above ``directory`` with a pyproject.toml, else the top
    of its git work tree."""
    for marker, exists in (("pyproject.toml", os.path.isfile), (".git", os.path.exists)):
        probe = directory
        while True:
            if exists(os.path.join(probe, marker)):
                return probe
            parent = os.path.dirname(probe)
            if parent == probe:
                break
            probe = parent
    return None


@lru_cache(maxsize=1024)
def _source_root_names(path: str, src: tuple[str, ...]) -> tuple[str, ...]:
    directory = os.path.dirname(path)
    if os.path.isfile(os.path.join(directory, "__init__.py")):
        return ()  # a regular package: its name follows the packages
    root = _project_root(directory)
    if root is None:
        return ()
    names = []
    for entry in src:
        source_root = os.path.normpath(os.path.join(root, entry))
        if not directory.startswith(source_root + os.sep):
            continue
        relative = os.path.relpath(path, source_root)
        stem = relative[:-3] if relative.endswith(".py") else relative
        parts = stem.split(os.sep)
        if parts[-1] == "__init__":
            parts.pop()
        if parts and all(part.isidentifier() for part in parts):
            names.append(".".join(parts))
    return tuple(names)


def source_root_aliases(
    classes: dict[str, list[str]], path: str, module_name: str, settings: Settings
) -> dict[str, list[str]]:
    """``classes`` with each class also under the module name the file has below a source
    root (the ``src`` option, default the project root and ``src/``), for a file in a folder
    without ``__init__.py`` (a PEP 420 namespace package): ``services/common/base.py``
    is ``base`` by its packages but ``services.common.base`` to the code importing it."""
    if not classes or not path.endswith(".py"):
        return classes
    names = _source_root_names(os.path.abspath(path), tuple(settings.src))
    prefix = module_name + "." if module_name else ""
    out = dict(classes)
    for name in names:
        if name == module_name:
            continue
        for qualified, bases in classes.items():
            if qualified.startswith(prefix):
                out[f"{name}.{qualified[len(prefix) :]}"] = bases
    return out


class _Climb:
    """The classes above some bases, each once (the not-a-service mark skipped): iterate,
    and :meth:`follow` the parents of the class at hand that the caller wants to climb."""

    def __init__(self, bases: Iterable[str]) -> None:
        self._todo = list(bases)
        self._seen: set[str] = set()

    def __iter__(self) -> Iterator[str]:
        while self._todo:
            qualified = self._todo.pop()
            if qualified in self._seen or qualified == NOT_A_SERVICE:
                continue
            self._seen.add(qualified)
            yield qualified

    def follow(self, parents: Iterable[str]) -> None:
        self._todo.extend(parents)


@dataclass
class ProjectIndex:
    """Qualified class name -> qualified names of its bases, for the whole repository."""

    classes: dict[str, list[str]] = field(default_factory=dict)
    extra_bases: frozenset[str] = frozenset()
    #: ``service-class-pattern``: which project classes are named like services
    service_pattern: re.Pattern[str] | None = None
    #: ``non-service-base-classes``: more ancestors that make a class no service
    non_service_bases: frozenset[str] = frozenset()
    #: last name -> qualified class names ending in it, in index order (built on first
    #: use, dropped by :meth:`add`): a re-export lookup reads a few names, not them all
    _by_last: dict[str, list[str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @classmethod
    def for_settings(cls, settings: Settings) -> ProjectIndex:
        return cls(
            extra_bases=frozenset(settings.extra_base_classes),
            service_pattern=settings.service_class_regex,
            non_service_bases=frozenset(settings.non_service_base_classes),
        )

    def add(self, classes: Mapping[str, Iterable[str]]) -> None:
        for name, bases in classes.items():
            self.classes[name] = list(bases)
        self._by_last = None

    def _parents(self, qualified: str) -> list[str] | None:
        parents = self.classes.get(qualified)
        return parents if parents is not None else (self._by_reexport(qualified) or None)

    def _is_runtime_base(self, qualified: str) -> bool:
        """The runtime's own name, imported directly or re-exported by a project module
        that defines no class of that name."""
        last = qualified.rpartition(".")[2]
        return last in RUNTIME_BASES and (
            qualified not in self.classes
            or qualified.startswith("lucent_runtime.")
            or "." not in qualified
        )

    def runtime_bases(self, bases: Iterable[str]) -> set[str]:
        """Which of the runtime's service base classes (or configured extra bases) a class
        with these bases inherits from, following project classes across files."""
        found: set[str] = set()
        climb = _Climb(bases)
        for qualified in climb:
            if self._is_extra(qualified):
                found.add(qualified)
            elif self._is_runtime_base(qualified):
                found.add(qualified.rpartition(".")[2])
            else:
                climb.follow(self._parents(qualified) or ())
        return found

    def judge_unadopted(self, bases: Iterable[str], *, interface: bool = False) -> str | None:
        """Why a class named like a service with these bases gets no LUC101, or None when
        it should: ``"adopted"`` (it reaches a runtime base), ``"not-a-service"`` (an
        exception or a data model: it reaches one of :data:`NON_SERVICE_ROOTS` or a
        ``non-service-base-classes`` entry; with ``interface``, for a class named like an
        interface, also an ``Interface``), ``"reported-above"`` (a project class above it,
        named like a service, is the one reported: once per hierarchy)."""
        if self.runtime_bases(bases):
            return "adopted"
        verdict: str | None = None
        climb = _Climb(bases)
        for qualified in climb:
            if qualified in self.non_service_bases:  # configured, even a project class
                return "not-a-service"
            parents = self._parents(qualified)
            if parents is None:
                if self._is_non_service_root(qualified) or (
                    interface and qualified.rpartition(".")[2] == "Interface"
                ):
                    return "not-a-service"
                continue
            last = qualified.rpartition(".")[2]
            if (
                self.service_pattern is not None
                and self.service_pattern.search(last)
                and NOT_A_SERVICE not in parents
                and qualified in self.classes
            ):
                verdict = "reported-above"
            climb.follow(parents)
        return verdict

    def _is_non_service_root(self, qualified: str) -> bool:
        """An ancestor outside the project that makes a class an exception or a model."""
        last = qualified.rpartition(".")[2]
        return (
            last in NON_SERVICE_ROOTS
            or last.endswith(_EXCEPTION_SUFFIXES)
            or qualified in _NON_SERVICE_QUALIFIED
            or qualified in self.non_service_bases
            or last in self.non_service_bases
        )

    def _is_extra(self, qualified: str) -> bool:
        last = qualified.rpartition(".")[2]
        return qualified in self.extra_bases or last in self.extra_bases

    def _by_reexport(self, qualified: str) -> list[str]:
        """``pkg.Base`` where ``pkg/__init__.py`` re-exports ``pkg.base.Base``: find a class
        of that name defined below the package."""
        module, _, name = qualified.rpartition(".")
        if not module:
            return []
        by_last = self._by_last
        if by_last is None:
            by_last = self._by_last = {}
            for candidate in self.classes:
                _, dot, last = candidate.rpartition(".")
                if dot:
                    by_last.setdefault(last, []).append(candidate)
        prefix = module + "."
        for candidate in by_last.get(name, ()):
            if candidate.startswith(prefix):
                return self.classes[candidate]
        return []


# -- the text scan for files the engine does not parse --------------------------------------

_CLASS = re.compile(r"^([ \t]*)class[ \t]+(\w+)[ \t]*(\(|:)", re.M)
_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#;]+)", re.M)
_ORM_BASE = re.compile(r"^(\w+)[ \t]*=[ \t]*[\w.]*\b(?:declarative_base|generate_base)\(", re.M)


def _balanced(text: str, start: int) -> str:
    """The text inside the parenthesis opening at ``start``."""
    depth = 0
    for index in range(start, min(len(text), start + 2000)):
        char = text[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : index]
    return ""


def _split_top(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def scan_classes(text: str, module: str, is_package: bool) -> dict[str, list[str]]:
    """Classes and their (qualified) bases of a module, from its text alone, with the
    re-export links of its top-level ``from ... import`` statements (see the module doc)."""
    if "class" not in text and "import" not in text:
        return {}
    imports: dict[str, str] = {}
    links: dict[str, list[str]] = {}
    package = module if is_package else module.rpartition(".")[0]
    for match in _FROM.finditer(text):
        level, source, names = len(match.group(1)), match.group(2), match.group(3)
        if level:
            parts = package.split(".") if package else []
            parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
            base = ".".join(parts)
            source = f"{base}.{source}" if base and source else (base or source)
        top_level = not text[match.start() : match.end()].startswith((" ", "\t"))
        names = re.sub(r"#[^\n]*", "", names)
        for item in _split_top(names.strip("()").replace("\n", " ")):
            name, _, alias = item.partition(" as ")
            local = (alias or name).strip()
            imports[local] = f"{source}.{name.strip()}"
            if top_level and local[:1].isupper():
                links[f"{module}.{local}" if module else local] = [imports[local]]
    for match in _IMPORT.finditer(text):
        for item in _split_top(match.group(1)):
            name, _, alias = item.partition(" as ")
            name = name.strip()
            imports[(alias.strip() or name.split(".")[0])] = name if alias else name.split(".")[0]
    classes: dict[str, list[str]] = links
    if "_base(" in text:
        for match in _ORM_BASE.finditer(text):
            classes[f"{module}.{match.group(1)}" if module else match.group(1)] = [ORM_BASE]
    for match in _CLASS.finditer(text):
        if match.group(1):  # nested class: not addressable as module.Name
            continue
        name = match.group(2)
        bases: list[str] = []
        if match.group(3) == "(":
            for base in _split_top(_balanced(text, match.end() - 1)):
                if "=" in base.split("[")[0]:
                    continue  # metaclass=..., keywords
                base = base.split("[")[0].strip()
                if not re.fullmatch(r"[\w.]+", base):
                    continue
                head, _, rest = base.partition(".")
                target = imports.get(head, f"{module}.{head}" if module else head)
                bases.append(f"{target}.{rest}" if rest else target)
        classes[f"{module}.{name}" if module else name] = bases
    return classes
