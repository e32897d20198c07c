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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

RUNTIME_BASES = frozenset({"LucentServiceBase", "CryptoTradingServiceBase", "UserServiceBase"})


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


@dataclass
class ProjectIndex:
    """Qualified class name -> qualified names of its bases, for the whole repository."""

    classes: dict[str, list[str]] = field(default_factory=dict)
    extra_bases: frozenset[str] = frozenset()

    def add(self, classes: Mapping[str, Iterable[str]]) -> None:
        for name, bases in classes.items():
            self.classes[name] = list(bases)

    def runtime_bases(self, bases: Iterable[str]) -> set[str]:
        """Which of the runtime's service base classes (or configured extra bases) a class
        with these bases inherits from, following project classes across files."""
        found: set[str] = set()
        seen: set[str] = set()
        todo = list(bases)
        while todo:
            qualified = todo.pop()
            if qualified in seen:
                continue
            seen.add(qualified)
            last = qualified.rpartition(".")[2]
            if self._is_extra(qualified):
                found.add(qualified)
                continue
            parents = self.classes.get(qualified)
            if last in RUNTIME_BASES and (
                parents is None or qualified.startswith("lucent_runtime.") or "." not in qualified
            ):
                # the runtime's own name, imported directly or re-exported by a project
                # module that defines no class of that name
                found.add(last)
                continue
            if parents is None:
                parents = self._by_reexport(qualified)
            todo.extend(parents)
        return found

    def _is_extra(self, qualified: str) -> bool:
        last = qualified.rpartition(".")[2]
        return qualified in self.extra_bases or last in self.extra_bases

    def _by_reexport(self, qualified: str) -> list[str]:
        """``pkg.Base`` where ``pkg/__init__.py`` re-exports ``pkg.base.Base``: find a class
        of that name defined below the package."""
        module, _, name = qualified.rpartition(".")
        if not module:
            return []
        suffix = "." + name
        for candidate, bases in self.classes.items():
            if candidate.endswith(suffix) and candidate.startswith(module + "."):
                return bases
        return []

    def digest_input(self) -> str:
        return repr(sorted(self.classes.items()))


# -- the text scan for files the engine does not parse --------------------------------------

_CLASS = re.compile(r"^([ \t]*)class[ \t]+(\w+)[ \t]*(\(|:)", re.M)
_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#;]+)", re.M)


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
