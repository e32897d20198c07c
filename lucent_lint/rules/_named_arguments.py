"""The base of the naming rules (LUC302, LUC303, LUC304, LUC306): names given as string
literals to framework calls and handler decorators.

A rule lists the framework parameters it checks (``event_type`` of
``publish_domain_event``, ``command_type`` of ``send_command``...), the handler decorators
whose name argument it checks, and other calls that take such a name (``read_stream``).
The argument may be the literal itself, either branch of ``a if c else b``, or a name
assigned a literal once (a local variable, a module constant, ``Events.X``, ``self.X``: see
:mod:`lucent_lint.engine.bindings`). The finding is reported at the literal, once per literal, so
a module constant used by ten calls gives one finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from lucent_lint.engine.bindings import string_templates
from lucent_lint.engine.context import call_argument, call_name
from lucent_lint.engine.framework import (
    APPEND_NAMES,
    REQUIRED_PARAMETERS,
    event_store_append,
    framework_argument,
    handler_decorator,
)
from lucent_lint.engine.rule import Fix, Rule
from lucent_runtime.naming import PLACEHOLDER

if TYPE_CHECKING:
    from lucent_lint.engine.context import FileContext


class NamedArgumentRule(Rule):
    """Checks the string literals given for some parameters; subclasses set the tables
    and :meth:`problem`."""

    #: parameters of the framework calls (:data:`lucent_lint.engine.framework.REQUIRED_PARAMETERS`)
    parameters: ClassVar[tuple[str, ...]] = ()
    #: handler decorator -> the parameter its name argument stands for
    decorators: ClassVar[dict[str, str]] = {}
    #: other method or function name -> (position, keywords, parameter)
    other_calls: ClassVar[dict[str, tuple[int, tuple[str, ...], str]]] = {}
    #: the stream id of hand-made event-store appends (``event_store.append("x", ...)``)
    check_append_stream: ClassVar[bool] = False

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._reported: set[int] = set()
        self._names = self._called_names()

    def problem(self, parameter: str, value: str) -> str | None:
        """Why ``value`` (a template when the literal is an f-string) is not a valid
        ``parameter``, or None."""
        raise NotImplementedError

    @classmethod
    def _called_names(cls) -> frozenset[str]:
        names = cls.__dict__.get("_names")
        if names is None:
            names = frozenset(
                {
                    *(
                        m
                        for m, params in REQUIRED_PARAMETERS.items()
                        if set(params) & set(cls.parameters)
                    ),
                    *cls.other_calls,
                    *(APPEND_NAMES if cls.check_append_stream else ()),
                }
            )
            cls._names = names  # type: ignore[attr-defined]
        return names

    # -- candidates ------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        # most calls are none of the few this rule reads: decide by the called name first
        called = call_name(node)
        if called not in self._names:
            return
        for parameter in self.parameters:
            argument = framework_argument(node, parameter)
            if argument is not None:
                self._check(parameter, argument)
        if self.other_calls:
            entry = self.other_calls.get(called or "")
            if entry is not None and isinstance(node.func, cst.Attribute | cst.Name):
                position, keywords, parameter = entry
                self._check(parameter, _argument(node, position, keywords))
        if self.check_append_stream and event_store_append(node, self.ctx.stack) is not None:
            self._check("stream_id", _argument(node, 0, ("stream_id", "stream_name")))

    def visit_Decorator(self, node: cst.Decorator) -> None:
        if not self.decorators:
            return
        found = handler_decorator(node, self.ctx)
        if found is not None and found[0] in self.decorators:
            self._check(self.decorators[found[0]], found[1])

    # -- checking ------------------------------------------------------------------------------
    def _check(self, parameter: str, argument: cst.BaseExpression | None) -> None:
        for literal, value in string_templates(argument, self.ctx.stack):
            if id(literal) in self._reported:
                continue
            message = self.problem(parameter, value)
            if message is not None:
                self._reported.add(id(literal))
                self.report(literal, message, fix=self.fix(literal) if self.fixing else None)

    def fix(self, literal: cst.BaseExpression) -> Fix | None:
        """The fix of a reported ``literal`` (for a subclass with a ``fix_safety``)."""
        raise NotImplementedError


class EventTypeRule(NamedArgumentRule):
    """The base of LUC302 and LUC303: the event type of ``publish_domain_event`` and of
    ``@event_handler``. A template with an interpolated part cannot be judged."""

    checklist = "naming conventions"
    parameters = ("event_type",)
    decorators = {"event_handler": "event_type"}

    def problem(self, parameter: str, value: str) -> str | None:
        return None if PLACEHOLDER in value else self.event_type_problem(value)

    def event_type_problem(self, event_type: str) -> str | None:
        """Why ``event_type`` (a complete name) breaks this rule, or None."""
        raise NotImplementedError


def _argument(
    call: cst.Call, position: int, keywords: tuple[str, ...]
) -> cst.BaseExpression | None:
    """The argument at ``position`` or given by any of ``keywords``."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    return call_argument(call, position, keywords[0])
