"""LUC305: a ``lucent.`` NATS subject that is neither a well-formed event nor command
subject.

Not every string that starts with ``lucent.`` is a subject: logger names, module paths,
host names and configuration keys start that way too. A string is judged as a subject when
it is used as one (the subject of a ``publish``/``request``/``subscribe`` call, a
``subject=``/``subjects=`` argument, a value assigned to a name or attribute containing
``subject`` or ``topic``), or when its second token says it means to be one (``events``,
``commands``, ``dlq`` or a near miss such as ``event``, ``cmd``, ``domain``) and its last
token is not a metric's (``lucent.command.duration``). Docstrings, strings with spaces and
arguments of logger, import, mock, configuration, metric and span calls are never
subjects. A string that is only the start of a subject (the left side of ``+``, a
``startswith`` argument, a name containing ``prefix``, or one ending in ``.``) only needs
to be a possible start of one.
"""

from __future__ import annotations

import re

import libcst as cst

from lucent_lint.engine.bindings import format_template, percent_template
from lucent_lint.engine.context import call_name, dotted_name, string_value
from lucent_lint.engine.rule import Rule
from lucent_runtime.naming import PLACEHOLDER, subject_problem

#: second tokens of strings that mean to be subjects, well-formed or not
_SUBJECT_KINDS = frozenset(
    """events event evt evts commands command cmd cmds commnds dlq domain""".split()
)
#: NATS client methods whose first argument is a subject
_MESSAGING_METHODS = frozenset(
    """publish request subscribe pull_subscribe publish_async request_async subscribe_async
    add_consumer serve""".split()
)
_SUBJECT_KEYWORDS = frozenset(
    {"subject", "subjects", "filter_subject", "filter_subjects", "deliver_subject", "topic"}
)
#: calls whose string arguments are names of other things (loggers, modules, settings)
_NOT_SUBJECT_CALLS = frozenset(
    """getLogger get_logger import_module __import__ patch object getenv get getint getfloat
    getboolean find_spec entry_points files create_histogram create_counter
    create_up_down_counter create_gauge create_observable_counter create_observable_gauge
    create_observable_up_down_counter start_as_current_span start_span get_tracer
    get_meter""".split()
)
#: last tokens of metric names (``lucent.command.duration``): not subjects
_METRIC_WORDS = frozenset(
    """duration durations count counter total seconds ms millis milliseconds latency errors
    size bytes rate time histogram gauge ratio usage utilization inflight pending lag
    depth""".split()
)
_PREFIX_CALLS = frozenset({"startswith", "removeprefix"})
_SUBJECT_NAME = re.compile(r"subject|topic", re.I)
_PREFIX_NAME = re.compile(r"prefix|root|namespace|base", re.I)


class MalformedNatsSubject(Rule):
    code = "LUC305"
    slug = "malformed-nats-subject"
    checklist = "naming conventions"
    message = "NATS subject {subject!r} is neither a well-formed event nor command subject"

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        # cheap test on the source text before evaluating the literal
        if "lucent." in node.value[:12]:
            self._candidate(node)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        first = node.parts[0] if node.parts else None
        if isinstance(first, cst.FormattedStringText) and first.value.startswith("lucent."):
            self._candidate(node)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        self._candidate(node)

    def _candidate(self, node: cst.BaseExpression) -> None:
        stack = self.ctx.stack
        parent = stack[-2] if len(stack) > 1 else None
        if isinstance(parent, cst.ConcatenatedString | cst.Expr):
            return  # a part of a longer literal, or a docstring / bare string statement
        value = string_value(node)
        if value is None or not value.startswith("lucent.") or any(c.isspace() for c in value):
            return
        template, outer, prefix = self._template(node, value)
        if template is None:
            return
        depth = next(i for i in range(len(stack) - 1, -1, -1) if stack[i] is outer)
        used_as = _usage(outer, stack[:depth])
        if used_as == "other":
            return
        prefix = prefix or used_as == "prefix" or template.endswith(".")
        tokens = template.split(".")
        if used_as != "subject" and (
            tokens[1] not in _SUBJECT_KINDS or tokens[-1].lower() in _METRIC_WORDS
        ):
            return
        checked = template.rstrip(".") + ".>" if prefix else template
        problem = subject_problem(checked, self.ctx.settings.extra_past_tense)
        if problem is not None:
            shown = value.replace(PLACEHOLDER, "{…}")
            what = "the start of a NATS subject" if prefix else "NATS subject"
            self.report(node, f"{what} {shown!r} is malformed: " + problem.split(": ", 1)[1])

    def _template(
        self, node: cst.BaseExpression, value: str
    ) -> tuple[str | None, cst.CSTNode, bool]:
        """The subject the literal stands for (``PLACEHOLDER`` for a field filled in by
        ``%`` or ``.format``), the outermost expression it is part of, and whether it is
        only the start of a subject (``"lucent.events.domain." + rest``)."""
        stack = self.ctx.stack
        index = len(stack) - 1
        outer: cst.CSTNode = node
        parent = stack[index - 1] if index > 0 else None
        if isinstance(parent, cst.BinaryOperation) and parent.left is node:
            if isinstance(parent.operator, cst.Add):
                # "lucent.events.domain." + context: the rest is unknown
                outer = parent
                while index > 1 and isinstance(stack[index - 2], cst.BinaryOperation):
                    index -= 1
                    outer = stack[index - 1]
                return value, outer, True
            if isinstance(parent.operator, cst.Modulo):
                return percent_template(value), parent, False
            return None, node, False
        if isinstance(parent, cst.BinaryOperation):
            return None, node, False  # the right side of +: not where the subject starts
        if isinstance(parent, cst.Attribute) and parent.attr.value == "format":
            call = stack[index - 2] if index > 1 else None
            outer = call if isinstance(call, cst.Call) else parent
            return format_template(value), outer, False
        if isinstance(parent, cst.Assign | cst.AnnAssign) and not isinstance(
            node, cst.FormattedString
        ):
            # a pattern kept for later: SUBJECT = "lucent.events.domain.%s.TradeExecuted"
            return format_template(percent_template(value)), node, False
        return value, node, False


def _usage(node: cst.CSTNode, ancestors: list[cst.CSTNode]) -> str:
    """How the expression ``node`` is used: ``subject``, ``prefix``, ``other`` (surely not a
    subject) or ``unknown``."""
    child = node
    for parent in reversed(ancestors):
        if isinstance(parent, cst.Element | cst.List | cst.Tuple | cst.Set | cst.StarredElement):
            child = parent
            continue
        if isinstance(parent, cst.Arg):
            keyword = parent.keyword.value if parent.keyword is not None else None
            if keyword in _SUBJECT_KEYWORDS:
                return "subject"
            child = parent
            continue
        if isinstance(parent, cst.Call):
            name = call_name(parent)
            if child is parent.func:
                return "unknown"
            if name in _NOT_SUBJECT_CALLS:
                return "other"
            if name in _PREFIX_CALLS:
                return "prefix"
            if name in _MESSAGING_METHODS and parent.args and parent.args[0] is child:
                return "subject"
            return "unknown"
        if isinstance(parent, cst.Assign | cst.AnnAssign):
            targets = (
                [t.target for t in parent.targets]
                if isinstance(parent, cst.Assign)
                else [parent.target]
            )
            names = [dotted_name(t) or "" for t in targets]
            if any(_SUBJECT_NAME.search(n.rpartition(".")[2]) for n in names):
                return "subject"
            if any(_PREFIX_NAME.search(n.rpartition(".")[2]) for n in names):
                return "prefix"
            return "unknown"
        return "unknown"
    return "unknown"
