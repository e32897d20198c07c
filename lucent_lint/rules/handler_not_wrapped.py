"""LUC501: an event handler method that does not delegate to ``handle_domain_event``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from lucent_lint.engine.context import call_name, dotted_name, string_value
from lucent_lint.engine.framework import handler_decorator, service_like_class
from lucent_lint.engine.rule import Rule
from lucent_lint.engine.scopes import positional_parameters

if TYPE_CHECKING:
    from lucent_lint.engine.context import FileContext

_WORD = re.compile(r"\w+")
_EVENT_NAMES = frozenset({"event", "evt", "domain_event"})
_NOT_HANDLERS = frozenset({"command_handler", "staticmethod", "classmethod", "abstractmethod"})


@dataclass
class _ClassFrame:
    node: cst.ClassDef
    service: bool
    #: the method (directly in the class body) being walked
    current: cst.FunctionDef | None = None
    #: method name -> calls ``handle_domain_event`` itself
    delegates: dict[str, bool] = field(default_factory=dict)
    #: method name -> names of the ``self.<name>(...)`` methods it calls
    calls: dict[str, set[str]] = field(default_factory=dict)
    candidates: list[cst.FunctionDef] = field(default_factory=list)


class HandlerNotWrapped(Rule):
    code = "LUC501"
    slug = "handler-not-wrapped"
    checklist = "handlers use handle_domain_event"
    message = (
        "event handler `{name}` does not delegate to `self.handle_domain_event`: "
        "the handling gets no consumer span, business context or causation id"
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._frames: list[_ClassFrame] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._frames.append(_ClassFrame(node, service_like_class(node, self.ctx)))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        frame = self._frames.pop()
        for method in frame.candidates:
            if not _delegates(frame, method.name.value, set()):
                # report with the method as the innermost scope, as if still inside it
                self.ctx.stack.append(method)
                try:
                    self.report(method, name=method.name.value)
                finally:
                    self.ctx.stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._frames or len(self.ctx.stack) < 3:
            return
        frame = self._frames[-1]
        if self.ctx.stack[-3] is not frame.node or frame.current is not None:
            return
        frame.current = node
        frame.delegates[node.name.value] = False
        frame.calls[node.name.value] = set()
        if _is_event_handler(node, frame.service, self.ctx):
            frame.candidates.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._frames and self._frames[-1].current is node:
            self._frames[-1].current = None

    def visit_Call(self, node: cst.Call) -> None:
        if not self._frames:
            return
        frame = self._frames[-1]
        if frame.current is None:
            return
        method = frame.current.name.value
        name = call_name(node)
        if name == "handle_domain_event":
            frame.delegates[method] = True
        elif isinstance(node.func, cst.Attribute) and dotted_name(node.func.value) == "self":
            frame.calls[method].add(node.func.attr.value)


def _delegates(frame: _ClassFrame, method: str, seen: set[str]) -> bool:
    """The method calls ``handle_domain_event``, itself or through methods of its class."""
    if frame.delegates.get(method):
        return True
    seen.add(method)
    return any(
        _delegates(frame, callee, seen)
        for callee in frame.calls.get(method, ())
        if callee in frame.delegates and callee not in seen
    )


def _decorator_names(node: cst.FunctionDef) -> set[str]:
    names = set()
    for decorator in node.decorators:
        target = decorator.decorator
        if isinstance(target, cst.Call):
            target = target.func
        dotted = dotted_name(target)
        if dotted:
            names.add(dotted.rpartition(".")[2])
    return names


def _is_event_handler(node: cst.FunctionDef, service: bool, ctx: FileContext) -> bool:
    """The runtime's ``@event_handler`` (resolved through the imports: another framework's
    decorator of that name is not it), or a method named like a handler
    (``handler-name-pattern``) taking an event, in a service class."""
    if _decorator_names(node) & _NOT_HANDLERS or _is_stub(node):
        return False
    for decorator in node.decorators:
        found = handler_decorator(decorator, ctx)
        if found is not None:
            return found[0] == "event_handler"
    name = node.name.value
    if not service or name == "handle_domain_event" or name.startswith("_"):
        return False
    return bool(ctx.settings.handler_name_regex.search(name)) and _has_event_parameter(node)


def _has_event_parameter(node: cst.FunctionDef) -> bool:
    """A parameter after ``self`` named ``event``/``evt``/``*_event``, or annotated with a
    type whose name ends in ``Event`` (``DomainEvent``, ``"TradeExecutedEvent"``)."""
    params = [*positional_parameters(node)[1:], *node.params.kwonly_params]
    for param in params:
        name = param.name.value
        if name in _EVENT_NAMES or name.endswith("_event"):
            return True
        if param.annotation is not None and _names_event_type(param.annotation.annotation):
            return True
    return False


def _names_event_type(annotation: cst.BaseExpression) -> bool:
    todo: list[cst.BaseExpression] = [annotation]
    while todo:
        expr = todo.pop()
        if isinstance(expr, cst.BinaryOperation):  # ``TradeEvent | None``
            todo.extend((expr.left, expr.right))
        elif isinstance(expr, cst.Subscript):  # ``Optional[TradeEvent]``
            todo.extend(e.slice.value for e in expr.slice if isinstance(e.slice, cst.Index))
        elif isinstance(expr, cst.SimpleString):  # ``"TradeEvent | None"``
            text = string_value(expr) or ""
            if any(word.endswith("Event") for word in _WORD.findall(text)):
                return True
        else:
            dotted = dotted_name(expr)
            if dotted and dotted.rpartition(".")[2].endswith("Event"):
                return True
    return False


def _is_stub(node: cst.FunctionDef) -> bool:
    """A body of only a docstring, ``...``, ``pass`` or ``raise NotImplementedError``."""
    body = node.body
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    for statement in statements:
        small = statement.body if isinstance(statement, cst.SimpleStatementLine) else None
        if isinstance(statement, cst.SimpleStatementSuite):
            small = statement.body
        if small is None:
            return False
        for item in small:
            if isinstance(item, cst.Pass):
                continue
            if isinstance(item, cst.Expr) and isinstance(
                item.value, cst.Ellipsis | cst.SimpleString | cst.ConcatenatedString
            ):
                continue
            if isinstance(item, cst.Raise) and item.exc is not None:
                target = item.exc.func if isinstance(item.exc, cst.Call) else item.exc
                if dotted_name(target) == "NotImplementedError":
                    continue
            return False
    return True
