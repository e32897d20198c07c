"""The rule catalogue and the selection of a run.

``CATALOGUE`` is the stable list of codes and slugs, read from the rule docs' file names
(``rules/LUC###-slug.md``; a test checks they agree with the rule classes): enough to validate
``--select``/``--ignore`` and to decide which rules run, without importing libcst or any
rule. ``RULES`` maps each code to its rule class; the rule modules under
``lucent_lint.rules`` are imported on first use only -- a run whose files hold no service
code never parses anything and never needs them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from lucent_lint import config

if TYPE_CHECKING:
    from lucent_lint.engine.rule import Rule


def _catalogue() -> dict[str, str]:
    """Code -> slug, from the names of the rule docs (``LUC301-raw-event-store-append.md``):
    the docs are where a rule's facts are written down, and listing them imports nothing."""
    from lucent_lint.docs import doc_files

    return {code: path.stem[len(code) + 1 :] for code, path in doc_files().items()}


CATALOGUE: dict[str, str] = _catalogue()

#: rules the engine reports itself, on every file (never part of a walk)
GLOBAL_RULES = frozenset({"LUC001", "LUC002"})


def _load() -> dict[str, type[Rule]]:
    from lucent_lint import rules as package
    from lucent_lint.engine.rule import Rule

    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
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


class _Rules(Mapping[str, "type[Rule]"]):
    """Code -> rule class, loading the rule modules on first access."""

    _loaded: dict[str, type[Rule]] | None = None

    def _rules(self) -> dict[str, type[Rule]]:
        if self._loaded is None:
            self._loaded = _load()
        return self._loaded

    def __getitem__(self, code: str) -> type[Rule]:
        return self._rules()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules())

    def __len__(self) -> int:
        return len(self._rules())


RULES: Mapping[str, type[Rule]] = _Rules()


class UnknownCodeError(ValueError):
    """A code or prefix that names no rule."""


def check_codes(codes: Iterable[str]) -> None:
    """:class:`UnknownCodeError` for a code or prefix that names no rule (the check the
    configuration makes, :func:`lucent_lint.config.check_codes`)."""
    try:
        config.check_codes(codes)
    except ValueError as exc:
        raise UnknownCodeError(str(exc)) from None


class Selection:
    """Which rules run. The longest matching prefix decides; on a tie, ignore wins."""

    def __init__(
        self, select: Iterable[str], ignore: Iterable[str], extend_select: Iterable[str] = ()
    ) -> None:
        self.select = tuple(select) + tuple(extend_select)
        self.ignore = tuple(ignore)
        check_codes(self.select + self.ignore)
        self.codes = frozenset(code for code in CATALOGUE if self._decide(code))
        self._rules: tuple[type[Rule], ...] | None = None

    @property
    def rules(self) -> tuple[type[Rule], ...]:
        """The rule classes a walk runs (imports them on first use)."""
        if self._rules is None:
            self._rules = tuple(
                RULES[code] for code in sorted(self.codes) if code not in GLOBAL_RULES
            )
        return self._rules

    def __getstate__(self) -> dict[str, object]:  # rule classes re-import in a worker
        return {"select": self.select, "ignore": self.ignore, "codes": self.codes}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._rules = None

    def _decide(self, code: str) -> bool:
        best_select = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        best_ignore = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return best_select > best_ignore

    def enabled(self, code: str) -> bool:
        return code in self.codes

    def enabled_prefix(self, prefix: str) -> bool:
        """True when some enabled rule's code starts with ``prefix``."""
        return any(code.startswith(prefix) for code in self.codes)
