"""Multi-step business processes: one span for the process, one child span per step.

Each step is ``ProcessStep(name, execute)`` (or a dict ``{"name", "execute"}``) and is
called as ``execute(ctx, previous_result)`` — or ``execute(ctx)`` when it takes one
argument, like the standard's first steps. A failing step raises :class:`ProcessStepError`
naming the step, with the original error as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._context import BusinessContext, RequestContext, current_request_context
from ._errors import ProcessDefinitionError, ProcessStepError
from ._invoke import accepts_positional, invoke
from ._telemetry import Timer, metric_attributes, traced, work_attributes

if TYPE_CHECKING:
    from ._service import LucentServiceBase

__all__ = ["ProcessStep", "StepFunction", "run_process"]

StepFunction = Callable[..., Awaitable[Any] | Any]


@dataclass(frozen=True, slots=True)
class ProcessStep:
    """One named step of a business process; ``execute(ctx, previous_result)``."""

    name: str
    execute: StepFunction


def normalize_steps(process: str, steps: Sequence[ProcessStep | Mapping[str, Any]]) -> list:
    """The steps as :class:`ProcessStep` objects; a clear error for a malformed one."""
    if isinstance(steps, str | bytes | Mapping) or not isinstance(steps, Sequence):
        raise ProcessDefinitionError(
            f"business process {process!r}: steps must be a list, got {type(steps).__name__}"
        )
    if not steps:
        raise ProcessDefinitionError(f"business process {process!r} has no steps")
    out = []
    for number, step in enumerate(steps, start=1):
        if isinstance(step, Mapping):
            unknown = set(step) - {"name", "execute"}
            if unknown:
                raise ProcessDefinitionError(
                    f"business process {process!r}, step {number}: unknown keys "
                    f"{sorted(unknown)} (expected 'name' and 'execute')"
                )
            step = ProcessStep(step.get("name"), step.get("execute"))
        if not isinstance(step, ProcessStep):
            raise ProcessDefinitionError(
                f"business process {process!r}, step {number}: expected a ProcessStep or a "
                f"dict with 'name' and 'execute', got {type(step).__name__}"
            )
        if not isinstance(step.name, str) or not step.name:
            raise ProcessDefinitionError(f"business process {process!r}, step {number} has no name")
        if not callable(step.execute):
            raise ProcessDefinitionError(
                f"business process {process!r}, step {number} {step.name!r}: "
                "execute is not callable"
            )
        out.append(step)
    return out


async def run_process(
    service: LucentServiceBase,
    process: str,
    business_context: BusinessContext,
    steps: Sequence[ProcessStep | Mapping[str, Any]],
) -> Any:
    """Run ``steps`` in order, each getting the previous one's result; return the last."""
    plan = normalize_steps(process, steps)
    ctx = RequestContext.start(business_context, service.service_name, current_request_context())
    total = len(plan)
    attributes = {
        **work_attributes(service.service_name, process, ctx),
        "business.process_name": process,
        "business.total_steps": total,
    }
    timer = Timer("process", metric_attributes(business_context, service.service_name, process))

    async def run_steps() -> Any:
        result = None
        for number, step in enumerate(plan, start=1):
            result = await _run_step(service, ctx, process, step, number, total, result)
        return result

    return await traced(process, attributes, timer, run_steps, ctx)


async def _run_step(
    service: LucentServiceBase,
    ctx: RequestContext,
    process: str,
    step: ProcessStep,
    number: int,
    total: int,
    previous: Any,
) -> Any:
    attributes = {
        **work_attributes(service.service_name, step.name, ctx),
        "business.process_name": process,
        "business.step_name": step.name,
        "business.step_number": number,
        "business.total_steps": total,
    }
    metric = metric_attributes(
        ctx.business_context, service.service_name, step.name, "business.process_name", process
    )
    timer = Timer("step", metric)
    try:
        return await traced(step.name, attributes, timer, lambda: _execute(step, ctx, previous))
    except Exception as error:
        raise ProcessStepError(process, step.name, number, error) from error


async def _execute(step: ProcessStep, ctx: RequestContext, previous: Any) -> Any:
    if accepts_positional(step.execute, 2):
        return await invoke(step.execute, ctx, previous)
    return await invoke(step.execute, ctx)
