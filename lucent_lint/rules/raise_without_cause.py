"""LUC602: a new error raised inside an except block without ``from err``."""

from __future__ import annotations

import libcst as cst

from lucent_lint.engine.context import dotted_name
from lucent_lint.engine.rule import Rule
from lucent_lint.engine.scopes import caught_names, enclosing_handler, iter_scope


class RaiseWithoutCause(Rule):
    code = "LUC602"
    slug = "raise-without-cause"
    checklist = "error handling keeps context"
    message = (
        "`raise {name}` inside an except block does not chain the caught error; add `from {cause}`"
    )

    def visit_Raise(self, node: cst.Raise) -> None:
        if node.exc is None or node.cause is not None:
            return
        name = _new_error_name(node.exc)
        if name is None:
            return
        stack = self.ctx.stack
        handler = enclosing_handler(stack)
        if handler is None:
            return
        if isinstance(node.exc, cst.Name):
            # ``raise err``: the caught error re-raised is fine; a lower-case name is an
            # error object, flagged only when built in this block
            if name in caught_names(stack):
                return
            if name[:1].islower() and not _built_here(handler, name):
                return
        bound = handler.name.name if handler.name is not None else None
        cause = bound.value if isinstance(bound, cst.Name) else "err"
        self.report(node, name=name, cause=cause)


def _new_error_name(exc: cst.BaseExpression) -> str | None:
    """The class name of ``NewError(...)`` / ``NewError`` / ``errors.NewError(...)``; the
    bare name for ``raise err`` (checked by the caller); None for anything else (an error
    returned by a call such as ``self._wrap(err)``, ``errors[0]``)."""
    if isinstance(exc, cst.Name):
        return exc.value
    target = exc.func if isinstance(exc, cst.Call) else exc
    dotted = dotted_name(target)
    if dotted is None:
        return None
    last = dotted.rpartition(".")[2]
    return last if last[:1].isupper() else None


def _built_here(handler: cst.ExceptHandler | cst.ExceptStarHandler, name: str) -> bool:
    """``name = NewError(...)`` in the except block, with no ``name.__cause__ = ...``."""
    built = False
    for node in iter_scope(handler.body):
        if not isinstance(node, cst.Assign):
            continue
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Name) and t.value == name:
                new = _new_error_name(node.value)
                built = new is not None and new[:1].isupper()
            elif (
                isinstance(t, cst.Attribute)
                and t.attr.value == "__cause__"
                and dotted_name(t.value) == name
            ):
                return False
    return built
