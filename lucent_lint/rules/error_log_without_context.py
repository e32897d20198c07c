"""LUC603: an error logged in an except block without context fields or without the error."""

from __future__ import annotations

import libcst as cst

from lucent_lint.engine.context import call_name, dotted_name
from lucent_lint.engine.framework import logger_method
from lucent_lint.engine.rule import Rule
from lucent_lint.engine.scopes import assigned_values, caught_names, enclosing_handler, parameter

#: keywords that are the message or logging options, not context fields
_OPTION_KEYWORDS = frozenset({"msg", "message", "exc_info", "stack_info", "stacklevel"})
#: keywords that carry the error itself
_ERROR_KEYWORDS = frozenset({"error", "err", "exc", "exception"})
#: calls that return a mapping of fields
_MAPPING_CALLS = frozenset({"dict", "to_attributes", "to_dict", "asdict", "model_dump"})
#: a name (or a call's name) that says it holds fields, when its value cannot be seen
_FIELD_WORDS = ("field", "context", "extra", "detail", "meta", "attr", "tag", "label")
_MAPPING_TYPES = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "TypedDict"})


class ErrorLogWithoutContext(Rule):
    code = "LUC603"
    slug = "error-log-without-context"
    checklist = "error handling keeps context"
    message = "`{call}(...)` in an except block logs without {missing}"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in ("error", "exception"):
            return
        stack = self.ctx.stack
        if enclosing_handler(stack) is None:
            return
        method = logger_method(node, stack)
        if method is None:
            return
        if any(arg.star for arg in node.args):
            return  # ``*args`` / ``**fields``: what they hold cannot be seen
        caught = caught_names(stack)
        scopes = self._scopes()
        has_fields = _passes_fields(node, caught, scopes)
        has_error = (
            method == "exception"
            or _passes_error(node, caught)
            or _error_after_fields(node, caught, scopes)
        )
        if has_error and has_fields:
            return
        if not has_error and not has_fields:
            missing = "context fields and the error"
        elif not has_error:
            missing = "the error (pass it, or `exc_info=True`)"
        else:
            missing = "context fields (a mapping, or `extra=`)"
        self.report(node, call=dotted_name(node.func) or method, missing=missing)

    def _scopes(self) -> list[cst.FunctionDef | cst.Lambda]:
        """The functions around the call, innermost first (where a name may be bound)."""
        return [n for n in reversed(self.ctx.stack) if isinstance(n, cst.FunctionDef | cst.Lambda)]


def _passes_error(call: cst.Call, caught: set[str]) -> bool:
    for arg in call.args:
        if arg.keyword is not None:
            key = arg.keyword.value
            if key == "exc_info":
                return not (
                    isinstance(arg.value, cst.Name) and arg.value.value in ("False", "None")
                )
            if key in _ERROR_KEYWORDS:
                return True
        if isinstance(arg.value, cst.Name) and arg.value.value in caught:
            return True
    return False


def _error_after_fields(
    call: cst.Call, caught: set[str], scopes: list[cst.FunctionDef | cst.Lambda]
) -> bool:
    """The runtime's ``error(message, fields, error)``: a third positional argument after
    a mapping of fields is the error, whatever it is called."""
    positional = [arg.value for arg in call.args if arg.keyword is None]
    return len(positional) >= 3 and _is_mapping(positional[1], caught, scopes)


def _passes_fields(
    call: cst.Call, caught: set[str], scopes: list[cst.FunctionDef | cst.Lambda]
) -> bool:
    positional = 0
    for arg in call.args:
        if arg.keyword is not None:
            key = arg.keyword.value
            if key not in _OPTION_KEYWORDS and key not in _ERROR_KEYWORDS:
                return True  # ``extra=``, ``fields=``, structured ``key=value`` fields
            continue
        positional += 1
        if positional > 1 and _is_mapping(arg.value, caught, scopes):
            return True
    return False


def _is_mapping(
    expr: cst.BaseExpression, caught: set[str], scopes: list[cst.FunctionDef | cst.Lambda]
) -> bool:
    if isinstance(expr, cst.Dict | cst.DictComp):
        return True
    if isinstance(expr, cst.Call):
        name = call_name(expr) or ""
        return name in _MAPPING_CALLS or any(word in name.lower() for word in _FIELD_WORDS)
    if isinstance(expr, cst.Name):
        if expr.value in caught:
            return False
        return _name_is_mapping(expr.value, caught, scopes)
    if isinstance(expr, cst.Attribute):
        return any(word in expr.attr.value.lower() for word in _FIELD_WORDS)
    return False


def _name_is_mapping(
    name: str, caught: set[str], scopes: list[cst.FunctionDef | cst.Lambda]
) -> bool:
    """Decided by the nearest function that binds ``name``: its assignments, or its
    parameter's annotation; a name bound nowhere visible is judged by what it is called."""
    for scope in scopes:
        values = assigned_values(scope, name)
        if values:
            return any(_is_mapping(value, caught, []) for value in values)
        param = parameter(scope, name)
        if param is not None:
            if param.annotation is not None:
                return _annotation_is_mapping(param.annotation.annotation)
            break
    return any(word in name.lower() for word in _FIELD_WORDS)


def _annotation_is_mapping(annotation: cst.BaseExpression) -> bool:
    target = annotation.value if isinstance(annotation, cst.Subscript) else annotation
    dotted = dotted_name(target)
    return dotted is not None and dotted.rpartition(".")[2] in _MAPPING_TYPES
