"""LUC101: a service class that inherits from none of the runtime's service base classes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import libcst as cst

from ..context import RUNTIME, dotted_name
from ..project import RUNTIME_BASES, ProjectIndex
from ..rule import Rule

#: direct bases that make a ``*Service`` class something other than a service
#: implementation: an interface, an enumeration, an exception or a record type
_NOT_A_SERVICE = frozenset(
    {
        "Protocol",
        "ABC",
        "Enum",
        "IntEnum",
        "StrEnum",
        "Flag",
        "IntFlag",
        "Exception",
        "BaseException",
        "TypedDict",
        "NamedTuple",
    }
)
_ABSTRACT_METACLASSES = frozenset({"ABCMeta", "EnumMeta", "EnumType"})


def class_bases(node: cst.ClassDef) -> list[cst.BaseExpression]:
    """The base expressions of a class, ``Base[T]`` read as ``Base``."""
    return [
        arg.value.value if isinstance(arg.value, cst.Subscript) else arg.value for arg in node.bases
    ]


def is_not_a_service(node: cst.ClassDef) -> bool:
    """A ``Protocol``/ABC interface, an Enum, an exception or a TypedDict/NamedTuple."""
    for base in class_bases(node):
        last = (dotted_name(base) or "").rpartition(".")[2]
        if last in _NOT_A_SERVICE or last.endswith(("Error", "Exception")):
            return True
    for keyword in node.keywords:
        if keyword.keyword.value == "metaclass":
            last = (dotted_name(keyword.value) or "").rpartition(".")[2]
            if last in _ABSTRACT_METACLASSES:
                return True
    return False


def direct_runtime_base(qualified: str, extra: frozenset[str]) -> str | None:
    """The runtime (or configured) base ``qualified`` names by itself, without the index."""
    module, _, last = qualified.rpartition(".")
    if qualified in extra or last in extra:
        return qualified
    if last in RUNTIME_BASES and (module == RUNTIME or module.startswith(RUNTIME + ".")):
        return last
    return None


class ServiceMustExtendBase(Rule):
    code = "LUC101"
    slug = "service-must-extend-base"
    checklist = "extends base class"
    message = (
        "service class `{name}` does not extend LucentServiceBase, CryptoTradingServiceBase "
        "or UserServiceBase"
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not self.ctx.is_service_class(node) or self.ctx.enclosing_function() is not None:
            return
        if is_not_a_service(node):
            return
        extra = frozenset(self.ctx.settings.extra_base_classes)
        bases: list[str] = []
        for base in class_bases(node):
            qualified = self.ctx.qualified_name(base)
            if qualified is None:
                return  # a computed base (``make_base()``): unknowable
            if direct_runtime_base(qualified, extra) is not None:
                return
            bases.append(qualified)
        if not bases:
            self.report(node, name=node.name.value)
            return
        self.defer(node, {"name": node.name.value, "bases": bases})

    @classmethod
    def resolve(cls, payload: Mapping[str, Any], index: ProjectIndex) -> str | None:
        if index.runtime_bases(payload["bases"]):
            return None
        return cls.message.format(name=payload["name"])
