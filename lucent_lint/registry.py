"""The rule catalogue: every rule class under ``lucent_lint.rules``, by code, and the
selection of a run (``select`` / ``extend-select`` / ``ignore`` by code or prefix)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from . import fixes as _fixes
from . import rules as _rules_package
from .rule import Rule


def _load() -> dict[str, type[Rule]]:
    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(_rules_package.__path__):
        module = importlib.import_module(f"{_rules_package.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value is not Rule
                and getattr(value, "code", "")
                and value.__module__ == module.__name__
            ):
                if value.code in found:
                    raise RuntimeError(f"duplicate rule code {value.code}")
                found[value.code] = value
    return dict(sorted(found.items()))


RULES: dict[str, type[Rule]] = _load()
_fixes.attach(RULES)


class UnknownCodeError(ValueError):
    """A code or prefix that names no rule."""


def check_codes(codes: Iterable[str]) -> None:
    for code in codes:
        if not any(known.startswith(code) for known in RULES):
            raise UnknownCodeError(f"unknown rule code or prefix {code!r}")


class Selection:
    """Which rules run. The longest matching prefix decides; on a tie, ignore wins."""

    def __init__(
        self, select: Iterable[str], ignore: Iterable[str], extend_select: Iterable[str] = ()
    ) -> None:
        self.select = tuple(select) + tuple(extend_select)
        self.ignore = tuple(ignore)
        check_codes(self.select + self.ignore)
        self.codes = frozenset(code for code in RULES if self._decide(code))
        self.rules: tuple[type[Rule], ...] = tuple(
            RULES[code] for code in sorted(self.codes) if not RULES[code].global_scope
        )

    def _decide(self, code: str) -> bool:
        best_select = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        best_ignore = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return best_select > best_ignore

    def enabled(self, code: str) -> bool:
        return code in self.codes

    def enabled_prefix(self, prefix: str) -> bool:
        """True when some enabled rule's code starts with ``prefix``."""
        return any(code.startswith(prefix) for code in self.codes)
