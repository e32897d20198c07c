"""The rule base class and what a rule produces.

A rule is a class with a stable ``code`` and ``slug``, a message template, and small
``visit_<Node>`` / ``leave_<Node>`` methods named after libcst node classes. It reads the
tree (the engine walks it once for all rules) and calls :meth:`Rule.report`. A rule that
can repair what it reports carries its fix too: ``fix_safety`` and ``fix_title``, and the
:class:`Fix` it passes to :meth:`Rule.report` for the target it found (the handler, the
call, the class), built only when :attr:`Rule.fixing` says the run wants it. Everything
else -- positions, scope, suppression, selection, applying fixes -- is the engine's.

Its documentation and examples live in ``rules/LUC###-slug.md``, not in the module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    import libcst as cst

    from lucent_lint.engine.context import FileContext
    from lucent_lint.engine.project import ProjectIndex

FixSafety = Literal["safe", "unsafe"]


@dataclass(slots=True)
class Fix:
    """Node replacements that make a finding go away (applied only by ``--fix``).

    ``replacements`` maps an original node to its replacement (or ``cst.RemoveFromParent()``).
    """

    safety: FixSafety = "safe"
    replacements: dict[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel] = field(default_factory=dict)
    #: ``(line, text)`` of import lines to add at the top of the module if missing
    imports: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Report:
    """A finding before positions and scope are applied (the engine's bookkeeping)."""

    rule: type[Rule]
    node: cst.CSTNode
    message: str
    #: the module-level class the node is in (scope is decided from it), else None
    service_class: cst.ClassDef | None
    scope: str
    fix: Fix | None = None
    #: set for findings a rule cannot decide alone (see :meth:`Rule.defer`)
    deferred: dict[str, Any] | None = None
    #: the walk's stack when the rule reported (the current node last): where ``node`` is
    stack: tuple[cst.CSTNode, ...] = ()


class Rule:
    """Base class of every LUC rule."""

    code: ClassVar[str]
    slug: ClassVar[str]
    #: the code-review checklist item of the standard this rule enforces ("—" for none)
    checklist: ClassVar[str] = "—"
    #: message template, formatted with the keyword arguments given to :meth:`report`
    message: ClassVar[str]
    #: imperative remedy, shown next to fixable findings
    fix_title: ClassVar[str | None] = None
    #: set by a rule that fixes what it reports: ``unsafe`` when the fix may change
    #: behaviour (offered and applied only with ``unsafe-fixes``)
    fix_safety: ClassVar[FixSafety | None] = None
    #: decides by itself, through the project index, which classes it judges (LUC101,
    #: LUC102): its findings are not limited to service code
    own_scope: ClassVar[bool] = False

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        #: build fixes in this run: a safe rule's always, an unsafe one's only with
        #: ``unsafe-fixes`` (the findings of a run without them are not fixable)
        self.fixing = self.fix_safety == "safe" or (
            self.fix_safety == "unsafe" and ctx.settings.unsafe_fixes
        )

    # -- reporting -------------------------------------------------------------------
    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        *,
        fix: Fix | None = None,
        **params: Any,
    ) -> None:
        """Report ``node``. ``message`` overrides the template; ``params`` fill it.

        ``fix`` is the change that repairs this occurrence, None when it has no obvious
        one; a rule builds it only when :attr:`fixing` (``fix=self.fix(target) if
        self.fixing else None``). It takes the rule's ``fix_safety``."""
        text = message if message is not None else self.message.format(**params)
        if fix is not None:
            if self.fix_safety is None:
                raise TypeError(f"{self.code} reports a fix but has no fix_safety")
            fix.safety = self.fix_safety
        self.ctx.add_report(self, node, text, fix=fix)

    def defer(self, node: cst.CSTNode, payload: dict[str, Any]) -> None:
        """Report ``node`` provisionally; :meth:`resolve` decides once every file of the
        repository is indexed. ``payload`` must be JSON-serialisable."""
        self.ctx.add_report(self, node, "", deferred=payload)

    @classmethod
    def resolve(cls, payload: Mapping[str, Any], index: ProjectIndex) -> str | None:
        """The message for a deferred finding, or None when it is not a finding.

        A finding in a class of a module that does not import the runtime waits for the
        index with its class's bases (``gate``): it is service code only when the class
        reaches a runtime service base through project classes."""
        if "gate" in payload:
            return payload["message"] if index.runtime_bases(payload["gate"]) else None
        raise NotImplementedError

    # -- dispatch table -------------------------------------------------------------
    @classmethod
    def handler_names(cls) -> dict[str, tuple[tuple[type, str], ...]]:
        """``{"visit": ((NodeClass, method name), ...), "leave": ...}``, computed once."""
        cached = cls.__dict__.get("_handler_cache")
        if cached is None:
            import libcst

            cached = {"visit": [], "leave": []}
            for name in dir(cls):
                match = _HANDLER.match(name)
                if match:
                    node_cls = getattr(libcst, match.group(2), None)
                    if node_cls is None:
                        raise TypeError(f"{cls.__name__}.{name}: no libcst node {match.group(2)}")
                    cached[match.group(1)].append((node_cls, name))
            cached = {key: tuple(value) for key, value in cached.items()}
            cls._handler_cache = cached  # type: ignore[attr-defined]
        return cached


_HANDLER = re.compile(r"(visit|leave)_([A-Z]\w*)$")
