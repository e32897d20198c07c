"""The public surface: ``lucent_runtime.__all__`` complete and sorted (ruff's RUF022 order:
constants, then classes, then functions)."""

from __future__ import annotations

import subprocess
import sys
import types

import lucent_runtime


def _group(name: str) -> int:
    if name.isupper():
        return 0
    return 1 if name[0].isupper() else 2


def test_all_is_sorted() -> None:
    names = list(lucent_runtime.__all__)
    assert names == sorted(names, key=lambda n: (_group(n), n))
    assert len(set(names)) == len(names)


def test_internals_stay_out_of_the_public_api() -> None:
    for name in ("NewEvent", "DURATION_BUCKETS_MS"):
        assert name not in lucent_runtime.__all__
        assert not hasattr(lucent_runtime, name)


def test_all_is_complete() -> None:
    assert set(lucent_runtime._EXPORTS) == set(lucent_runtime.__all__)
    for name in lucent_runtime.__all__:  # resolve every lazy export
        assert getattr(lucent_runtime, name) is not None
    public = {
        name
        for name, value in vars(lucent_runtime).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert public == set(lucent_runtime.__all__)
    for name in lucent_runtime.__all__:
        assert getattr(lucent_runtime, name) is not None


def test_spec_import_line() -> None:
    from lucent_runtime import (  # noqa: F401 - the documented import, verbatim
        BusinessContext,
        BusinessContextBuilder,
        CryptoTradingServiceBase,
        DomainEvent,
        InfrastructureFactory,
        LucentServiceBase,
        ProcessStep,
        RequestContext,
        UserServiceBase,
        command_handler,
        event_handler,
    )


def test_every_error_is_a_lucent_error() -> None:
    for name in lucent_runtime.__all__:
        value = getattr(lucent_runtime, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, lucent_runtime.LucentError), name
            assert name.endswith("Error")
            assert value.__doc__


def test_naming_alone_does_not_load_the_framework() -> None:
    code = (
        "import sys, lucent_runtime.naming; "
        "print(sorted(m for m in sys.modules if m.startswith(('opentelemetry', 'nats'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
