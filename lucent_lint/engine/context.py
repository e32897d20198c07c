"""The semantic model of the file being checked, shared by every rule.

The engine builds it during its single walk: the import table (imports come before their
use), the classes and their qualified bases (for the project index), the stack of
ancestors (scopes), and it answers what any name or attribute chain qualifies to. Rules
ask it instead of keeping their own state. Scope is decided from it afterwards: a module
that imports ``lucent_runtime`` is service code throughout; elsewhere only the bodies of
module-level classes that reach a runtime service base through the project index are.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import libcst as cst

from lucent_lint.engine.rule import Fix, Report, Rule
from lucent_runtime.framework import PACKAGE, SERVICE_BASES, is_runtime_module
from lucent_runtime.naming import PLACEHOLDER

if TYPE_CHECKING:
    from lucent_lint.config import Settings

#: the runtime's importable name
RUNTIME = PACKAGE

#: a test class (pytest collects ``Test*``): ``TestTradingService``, not ``TestnetService``
_TEST_CLASS = re.compile(r"Test[A-Z0-9_]")


class FileContext:
    """Per-file state shared by all rules during one walk."""

    def __init__(
        self,
        *,
        path: str,
        module_name: str,
        is_package: bool,
        settings: Settings,
        stack: list[cst.CSTNode],
    ) -> None:
        self.path = path
        self.module_name = module_name
        self.is_package = is_package
        self.settings = settings
        self.stack = stack
        #: local name -> qualified name ("lr" -> "lucent_runtime", "Base" -> "pkg.base.Base")
        self.imports: dict[str, str] = {}
        self.star_imports: list[str] = []
        self.imports_runtime = False
        #: the file is part of lucent_runtime itself
        self.in_runtime_package = is_runtime_module(module_name)
        #: qualified class name -> qualified names of its bases (for the project index)
        self.classes: dict[str, list[str]] = {}
        self.reports: list[Report] = []
        self._service_like: dict[int, bool] = {}
        self._service_re: re.Pattern[str] = settings.service_class_regex

    # -- imports and names --------------------------------------------------------------
    def add_import(self, local: str, qualified: str) -> None:
        self.imports[local] = qualified
        if is_runtime_module(qualified):
            self.imports_runtime = True

    def package(self) -> str:
        if self.is_package:
            return self.module_name
        return self.module_name.rpartition(".")[0]

    def absolute_module(self, relative_level: int, module: str) -> str:
        """Resolve ``from ..x import`` against this file's package."""
        if relative_level == 0:
            return module
        parts = self.package().split(".") if self.package() else []
        if relative_level > 1:
            parts = parts[: len(parts) - (relative_level - 1)]
        base = ".".join(parts)
        return f"{base}.{module}" if base and module else (base or module)

    def qualified_name(self, expr: cst.BaseExpression | None) -> str | None:
        """``lr.CryptoTradingServiceBase`` -> ``lucent_runtime.CryptoTradingServiceBase``;
        a name defined in this module -> ``module.Name``; None for anything not a name."""
        dotted = dotted_name(expr)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        target = self.imports.get(head)
        if target is None:
            if len(self.star_imports) == 1 and not self._defined_here(head):
                target = f"{self.star_imports[0]}.{head}"
            else:
                target = f"{self.module_name}.{head}" if self.module_name else head
        return f"{target}.{rest}" if rest else target

    def _defined_here(self, name: str) -> bool:
        prefix = f"{self.module_name}.{name}" if self.module_name else name
        return prefix in self.classes

    def is_runtime_name(self, expr: cst.BaseExpression | None, *names: str) -> bool:
        """True when ``expr`` resolves through the imports to one of ``names`` from
        ``lucent_runtime`` (``from lucent_runtime import x as y``, ``lr.x``, a star import),
        or re-exported by a module of this file's own package. A name imported from
        elsewhere (``nameko.events.event_handler``) or never imported is not the runtime's."""
        dotted = dotted_name(expr)
        if dotted is None:
            return False
        if "." in dotted and dotted.rpartition(".")[2] not in names:
            return False  # ``x.y.Z`` names ``Z`` whatever ``x`` is imported as
        qualified = self.qualified_name(expr)
        module, _, last = (qualified or "").rpartition(".")
        if last not in names:
            return False
        return is_runtime_module(module) or self._reexported(dotted, module)

    def _reexported(self, dotted: str, module: str) -> bool:
        """``from .framework import event_handler`` / ``from pkg.api import event_handler``
        in a module of ``pkg`` that imports the runtime: a project module passing the
        runtime's name on."""
        if not self.imports_runtime or dotted.partition(".")[0] not in self.imports:
            return False
        own = self.module_name.partition(".")[0]
        return bool(own) and "." in self.module_name and module.partition(".")[0] == own

    def service_class_around(self) -> cst.ClassDef | None:
        """The module-level class the current node is in (None at module level, in a
        module-level function, or in a class defined inside a function)."""
        for node in self.stack:
            if isinstance(node, cst.ClassDef):
                return node
            if isinstance(node, cst.FunctionDef | cst.Lambda):
                return None
        return None

    def class_bases(self, node: cst.ClassDef) -> list[str] | None:
        """The qualified bases of a class (``Base[T]`` read as ``Base``); None when one of
        them is computed (``make_base()``) and so unknowable."""
        bases: list[str] = []
        for arg in node.bases:
            value = arg.value.value if isinstance(arg.value, cst.Subscript) else arg.value
            qualified = self.qualified_name(value)
            if qualified is None:
                return None
            bases.append(qualified)
        return bases

    # -- structure ---------------------------------------------------------------------
    def enclosing(self, *types: type[cst.CSTNode]) -> cst.CSTNode | None:
        """The innermost ancestor (the current node excluded) of one of ``types``, concrete
        node classes (compared exactly: isinstance on libcst's ABCs costs a Python call)."""
        for node in reversed(self.stack[:-1]):
            if type(node) in types:
                return node
        return None

    def enclosing_class(self) -> cst.ClassDef | None:
        node = self.enclosing(cst.ClassDef)
        return node if isinstance(node, cst.ClassDef) else None

    def enclosing_function(self) -> cst.FunctionDef | None:
        node = self.enclosing(cst.FunctionDef)
        return node if isinstance(node, cst.FunctionDef) else None

    def is_service_class(self, node: cst.ClassDef) -> bool:
        """The name matches ``service-class-pattern`` and is not a test class's
        (``TestTradingService``: pytest collects ``Test*`` classes)."""
        name = node.name.value
        return bool(self._service_re.search(name)) and not _TEST_CLASS.match(name)

    def service_like(self, node: cst.ClassDef) -> bool:
        """A class whose methods are judged as a service's (asked once per class, by any
        rule). In a module importing the runtime: its name matches
        ``service-class-pattern``, or it inherits (directly, or through classes of this
        module) from a runtime service base, a configured extra base, or a base named like
        a service (``...Service``, ``...ServiceBase``); helper classes beside it are not.
        Elsewhere every class is, as far as this file can tell: its findings wait for the
        project index, which keeps them only for a class reaching a runtime base."""
        known = self._service_like.get(id(node))
        if known is None:
            known = self._service_like[id(node)] = (
                not self.imports_runtime or self._service_like_in_runtime_module(node)
            )
        return known

    def _service_like_in_runtime_module(self, node: cst.ClassDef) -> bool:
        if self.is_service_class(node):
            return True
        pattern = self._service_re
        extra = frozenset(self.settings.extra_base_classes)
        todo = [self.qualified_name(base.value) for base in node.bases]
        seen: set[str] = set()
        while todo:
            qualified = todo.pop()
            if qualified is None or qualified in seen:
                continue
            seen.add(qualified)
            last = qualified.rpartition(".")[2]
            if (
                last in SERVICE_BASES
                or last.endswith("ServiceBase")
                or pattern.search(last)
                or qualified in extra
                or last in extra
            ):
                return True
            todo.extend(self.classes.get(qualified, ()))
        return False

    def scope_name(self) -> str:
        """``Class.method`` of the innermost class/function around the current node."""
        parts = [
            node.name.value
            for node in self.stack
            if type(node) is cst.ClassDef or type(node) is cst.FunctionDef
        ]
        return ".".join(parts)

    # -- reports -------------------------------------------------------------------------
    def add_report(
        self,
        rule: Rule,
        node: cst.CSTNode,
        message: str,
        *,
        fix: Fix | None = None,
        deferred: dict[str, Any] | None = None,
    ) -> None:
        self.reports.append(
            Report(
                rule=type(rule),
                node=node,
                message=message,
                service_class=self.service_class_around(),
                scope=self.scope_name(),
                fix=fix,
                deferred=deferred,
                stack=tuple(self.stack),
            )
        )


def dotted_name(expr: cst.CSTNode | None) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    # exact-type tests: libcst's node classes are final, and ``isinstance`` against their
    # ABC-based classes costs a Python-level ``__instancecheck__`` call
    cls = type(expr)
    if cls is _NAME:
        return expr.value  # type: ignore[union-attr]
    parts: list[str] = []
    while cls is _ATTRIBUTE:
        parts.append(expr.attr.value)  # type: ignore[union-attr]
        expr = expr.value  # type: ignore[union-attr]
        cls = type(expr)
    if cls is _NAME:
        parts.append(expr.value)  # type: ignore[union-attr]
        parts.reverse()
        return ".".join(parts)
    return None


_NAME = cst.Name
_ATTRIBUTE = cst.Attribute


def string_value(node: cst.CSTNode | None) -> str | None:
    """The value of a string literal; an f-string as a template with
    :data:`~lucent_runtime.naming.PLACEHOLDER` for each expression; None otherwise."""
    if type(node) is cst.SimpleString:
        value = _plain_string(node.value)
        if value is None:
            value = node.evaluated_value  # ``ast.literal_eval`` of the token
        return value if isinstance(value, str) else None
    if isinstance(node, cst.FormattedString):
        out = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(part.value)
            else:
                out.append(PLACEHOLDER)
        return "".join(out)
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        if left is None or right is None:
            return None
        return left + right
    return None


def _plain_string(token: str) -> str | None:
    """The value of a string token without escapes (no backslash), prefix ``u``, ``r`` or
    none, and no carriage return (CPython normalises line ends inside a literal); None for
    any other token, which ``ast.literal_eval`` decodes."""
    if "\\" in token or "\r" in token:
        return None
    start = 0
    while token[start] not in "'\"":
        start += 1
    if start and token[:start].lower() not in ("u", "r"):
        return None
    quote = 3 if token.startswith(('"""', "'''"), start) else 1
    return token[start + quote : len(token) - quote]


def call_name(call: cst.Call) -> str | None:
    """The called attribute or function name: ``self.publish_domain_event(...)`` ->
    ``publish_domain_event``."""
    func = call.func
    cls = type(func)
    if cls is _ATTRIBUTE:
        return func.attr.value  # type: ignore[attr-defined]
    if cls is _NAME:
        return func.value  # type: ignore[attr-defined]
    return None


def call_argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    """The argument at ``position`` (0-based, positional only) or given as ``keyword``.

    Returns None when absent, and also when a ``*args``/``**kwargs`` before it makes it
    unknowable.
    """
    positional = 0
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg.value
            continue
        if arg.star:
            return None
        if positional == position:
            return arg.value
        positional += 1
    return None
