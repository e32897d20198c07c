"""LUC201: a public async service method doing business work outside a business operation.

Business work is publishing a domain event, appending to an event store, or awaiting
``self.infrastructure`` or a raw messaging/event-store client. It is inside an operation
when it runs in a callback given to ``execute_business_operation``,
``execute_business_process`` or ``handle_domain_event``: a lambda or nested ``def`` written
in the call, a nested ``def`` (or a list of steps holding it) passed by name, or another
method of the class passed as ``self.method``. A ``@command_handler`` method is run by the
framework inside the command's business context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from lucent_lint.engine.context import call_name, dotted_name
from lucent_lint.engine.framework import CONTEXT_WRAPPERS, event_store_append, service_like_class
from lucent_lint.engine.rule import Rule
from lucent_lint.engine.walk import iter_tree

#: attributes of ``self`` (leading underscores ignored) and local names that hold the
#: infrastructure or a raw messaging / event-store client
RAW_CLIENTS = frozenset(
    {"infrastructure", "infra", "nc", "js", "event_bus", "bus", "message_bus", "broker"}
)


#: calls whose value may hold a callback for a wrapper: a step, a partial application
_CALLABLE_HOLDERS = frozenset({"ProcessStep", "partial", "dict"})


#: a name containing one of these holds a raw NATS or event-store client
_RAW_CLIENT_PARTS = ("nats", "jetstream", "event_store", "eventstore", "esdb", "kurrent")

#: connection management on a client: no business work (``await self.nc.drain()``)
_LIFECYCLE = frozenset(
    {"connect", "close", "drain", "flush", "start", "stop", "subscribe", "unsubscribe"}
)


@dataclass(slots=True)
class _Method:
    node: cst.FunctionDef
    depth: int
    #: (names of the callables around it, inside a wrapper call, what it does)
    work: list[tuple[frozenset[str], bool, str]] = field(default_factory=list)
    #: names (and ``self.x``) referenced in the arguments of wrapper calls
    wrapped: set[str] = field(default_factory=set)
    #: local name -> names (and ``self.x``) its assigned value refers to
    refers: dict[str, set[str]] = field(default_factory=dict)


@dataclass(slots=True)
class _Class:
    is_service: bool
    #: (method, message) of methods doing work outside an operation
    pending: list[tuple[cst.FunctionDef, str]] = field(default_factory=list)
    #: methods passed as ``self.x`` to a wrapper call somewhere in the class
    callbacks: set[str] = field(default_factory=set)


def _references(node: cst.CSTNode) -> set[str]:
    out: set[str] = set()
    for child in iter_tree(node):
        kind = type(child)  # exact types: isinstance on libcst's ABCs costs a Python call
        if kind is cst.Name:
            out.add(child.value)  # type: ignore[attr-defined]
        elif (
            kind is cst.Attribute
            and type(child.value) is cst.Name  # type: ignore[attr-defined]
            and child.value.value == "self"
        ):
            out.add("self." + child.attr.value)
    return out


def raw_client_call(expr: cst.BaseExpression) -> str | None:
    """``self.infrastructure.event_store.read_stream`` for a call on the infrastructure or
    a raw client (``self.nc.publish``, ``infrastructure.bus.request``); else None."""
    if not isinstance(expr, cst.Call):
        return None
    dotted = dotted_name(expr.func)
    if dotted is None:
        return None
    parts = dotted.split(".")
    if parts[-1] in _LIFECYCLE:
        return None
    if parts[0] in ("self", "cls"):
        parts = parts[1:]
        if len(parts) < 2:
            return None
    elif len(parts) < 2:
        return None
    return dotted if is_raw_client(parts[0]) else None


def is_raw_client(name: str) -> bool:
    """``infrastructure``, ``_nc``, ``nats_client``, ``jetstream``, ``event_store_client``,
    ``esdb``... (see :data:`RAW_CLIENTS`)."""
    name = name.lstrip("_").lower()
    return name in RAW_CLIENTS or any(part in name for part in _RAW_CLIENT_PARTS)


class OperationWithoutBusinessContext(Rule):
    code = "LUC201"
    slug = "operation-without-business-context"
    checklist = "business context for all operations"
    message = (
        "public method `{name}` {what} outside execute_business_operation, "
        "execute_business_process or handle_domain_event"
    )

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._classes: list[_Class] = []
        self._method: _Method | None = None

    # -- classes and methods -------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(_Class(self._is_service(node)))

    def _is_service(self, node: cst.ClassDef) -> bool:
        return service_like_class(node, self.ctx)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        cls = self._classes.pop()
        for method, message in cls.pending:
            if method.name.value not in cls.callbacks:
                self.report(method, message)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._method is not None or node.asynchronous is None:
            return
        if node.name.value.startswith("_") or not self._classes or not self._classes[-1].is_service:
            return
        stack = self.ctx.stack
        if len(stack) < 3 or not isinstance(stack[-3], cst.ClassDef):
            return  # not a method of the class itself
        if any(self._is_command_handler(d.decorator) for d in node.decorators):
            return  # the framework runs it in the command's business context
        self._method = _Method(node, len(stack) - 1)

    def _is_command_handler(self, decorator: cst.BaseExpression) -> bool:
        if isinstance(decorator, cst.Call):
            decorator = decorator.func
        return self.ctx.is_runtime_name(decorator, "command_handler")

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        method = self._method
        if method is None or method.node is not node:
            return
        self._method = None
        callbacks = self._closure(method)
        cls = self._classes[-1]
        cls.callbacks.update(n[5:] for n in callbacks if n.startswith("self."))
        for carriers, inside, what in method.work:
            if not inside and not (carriers & callbacks):
                message = self.message.format(name=node.name.value, what=what)
                cls.pending.append((node, message))
                return

    @staticmethod
    def _closure(method: _Method) -> set[str]:
        found = set(method.wrapped)
        todo = list(found)
        while todo:
            for name in method.refers.get(todo.pop(), ()):
                if name not in found:
                    found.add(name)
                    todo.append(name)
        return found

    # -- what the method does ---------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        method = self._method
        if method is None:
            return
        func = node.func
        name = call_name(node)
        if isinstance(func, cst.Attribute):
            if name in CONTEXT_WRAPPERS:
                for arg in node.args:
                    method.wrapped |= _references(arg.value)
                cls = self._classes[-1]
                cls.callbacks.update(n[5:] for n in method.wrapped if n.startswith("self."))
                return
            if name in ("append", "extend") and isinstance(func.value, cst.Name):
                refs = method.refers.setdefault(func.value.value, set())
                for arg in node.args:
                    refs |= _references(arg.value)
            if name == "publish_domain_event":
                self._work("publishes a domain event")
                return
        append = event_store_append(node, self.ctx.stack)
        if append is not None:
            self._work(f"appends to the event store (`{append}`)")

    def visit_Await(self, node: cst.Await) -> None:
        if self._method is None:
            return
        target = raw_client_call(node.expression)
        # ``nats.connect(...)``: a function of an imported module, not a client's call
        if target is not None and target.partition(".")[0] not in self.ctx.imports:
            self._work(f"awaits `{target}(...)`")

    def visit_Assign(self, node: cst.Assign) -> None:
        method = self._method
        if method is None:
            return
        value = node.value
        if isinstance(value, cst.Call):
            if call_name(value) not in _CALLABLE_HOLDERS:
                return
        elif not isinstance(value, cst.Name | cst.List | cst.Tuple | cst.Dict):
            return
        refs = _references(value)
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                method.refers.setdefault(target.target.value, set()).update(refs)

    def _work(self, what: str) -> None:
        """Record business work at the current node, with where it runs."""
        method = self._method
        assert method is not None
        carriers: set[str] = set()
        inside = False
        assigned: list[str] = []
        for node in self.ctx.stack[method.depth + 1 : -1]:
            kind = type(node)  # exact types: isinstance on libcst's ABCs costs a Python call
            if kind is cst.Call and call_name(node) in CONTEXT_WRAPPERS:  # type: ignore[arg-type]
                inside = True
                break
            if kind is cst.FunctionDef:
                carriers.add(node.name.value)  # type: ignore[attr-defined]
            elif kind is cst.Assign:
                assigned = [t.target.value for t in node.targets if isinstance(t.target, cst.Name)]  # type: ignore[attr-defined]
            elif kind is cst.Lambda:
                carriers.update(assigned)
        method.work.append((frozenset(carriers), inside, what))
