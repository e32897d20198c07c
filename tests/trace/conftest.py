"""A span store filled by real services on the embedded default, once per module."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from lucent_runtime import InfrastructureFactory
from lucent_runtime._span_store import current_span_store
from lucent_runtime.trace.cli import main

from ..cli import runner
from .scenario import run_scenario


def record(env: dict[str, str]) -> None:
    """Run the scenario on ``create_default(env)`` and write every span to the store, then
    stop recording (later tests' spans go nowhere)."""

    async def scenario() -> None:
        infrastructure = await InfrastructureFactory.create_default(env)
        try:
            await run_scenario(infrastructure)
        finally:
            await infrastructure.close()

    asyncio.run(scenario())
    store = current_span_store()
    assert store is not None, "create_default did not install the span store"
    store.detach()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("lucent-data")
    record({"LUCENT_DATA_DIR": str(directory)})
    yield directory


def lucent_trace(*args: str) -> Result:
    return runner().invoke(main, list(args), catch_exceptions=False)


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
