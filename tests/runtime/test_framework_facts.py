"""The facts the linter reads from :mod:`lucent_runtime.framework` are the runtime's own:
each one is checked against the real classes and functions, so the two cannot drift."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import lucent_runtime
from lucent_runtime import framework
from lucent_runtime._handlers import command_handler, event_handler

BUILDER = lucent_runtime.BusinessContextBuilder


def _public_methods(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, callable) if not name.startswith("_")}


def test_service_bases_are_the_runtimes_service_classes() -> None:
    bases = {
        name
        for name in lucent_runtime.__all__
        if isinstance(getattr(lucent_runtime, name), type)
        and issubclass(getattr(lucent_runtime, name), lucent_runtime.LucentServiceBase)
    }
    assert bases == framework.SERVICE_BASES


@pytest.mark.parametrize("method", sorted(framework.CALL_PARAMETERS))
def test_call_parameters_match_the_base_class_signatures(method: str) -> None:
    signature = inspect.signature(getattr(lucent_runtime.LucentServiceBase, method))
    names = [p for p in signature.parameters if p != "self"]
    expected = framework.CALL_PARAMETERS[method]
    assert names[: len(expected)] == list(expected)
    position, keyword = framework.BUSINESS_CONTEXT_PARAMETER[method]
    assert names[position] == keyword == framework.BUSINESS_CONTEXT
    assert signature.parameters[keyword].annotation in (
        "BusinessContext",
        lucent_runtime.BusinessContext,
    )


def test_context_wrappers_are_methods_taking_a_callback() -> None:
    for method in framework.CONTEXT_WRAPPERS:
        signature = inspect.signature(getattr(lucent_runtime.LucentServiceBase, method))
        assert len(signature.parameters) >= 3, method  # self, what, the callback or steps


def test_every_framework_method_a_service_has_is_known() -> None:
    """A new business method on the base class must be taught to the linter."""
    takes_context = {
        name
        for name in _public_methods(lucent_runtime.LucentServiceBase)
        if framework.BUSINESS_CONTEXT
        in inspect.signature(getattr(lucent_runtime.LucentServiceBase, name)).parameters
    }
    assert takes_context == set(framework.CALL_PARAMETERS)


@pytest.mark.parametrize("name", sorted(framework.HANDLER_DECORATORS))
def test_handler_decorators_name_their_first_parameter(name: str) -> None:
    decorator = {"event_handler": event_handler, "command_handler": command_handler}[name]
    assert getattr(lucent_runtime, name) is decorator
    first = next(iter(inspect.signature(decorator).parameters))
    assert first == framework.HANDLER_DECORATORS[name]


def test_builder_methods_are_exactly_the_builders() -> None:
    assert BUILDER.__name__ == framework.BUILDER
    methods = _public_methods(BUILDER)
    assert {m for m in methods if m.startswith("for_")} == framework.BUILDER_STARTS
    assert {m for m in methods if m.startswith("with_")} == framework.BUILDER_STEPS
    assert framework.BUILDER_BUILD in methods
    for start in framework.BUILDER_STARTS:
        assert isinstance(inspect.getattr_static(BUILDER, start), classmethod), start


@pytest.mark.parametrize("start", sorted(framework.BUILDER_STARTS - {"for_domain"}))
def test_crypto_starts_are_the_starts_of_crypto_contexts(start: str) -> None:
    built = getattr(BUILDER, start)().with_aggregate("Trade", "trade-1").build()
    crypto = built.domain in framework.CRYPTO_CONTEXTS or (
        built.bounded_context in framework.CRYPTO_CONTEXTS
    )
    assert crypto == (start in framework.CRYPTO_STARTS)


def test_crypto_contexts_are_refused_by_user_services() -> None:
    refused = lucent_runtime.UserServiceBase.incompatible_domains
    assert refused <= framework.CRYPTO_CONTEXTS
    assert not lucent_runtime.CryptoTradingServiceBase.incompatible_domains & refused


def test_is_runtime_module() -> None:
    assert framework.is_runtime_module("lucent_runtime")
    assert framework.is_runtime_module("lucent_runtime.framework")
    assert not framework.is_runtime_module("lucent_runtime_extras.x")


def test_reading_the_facts_loads_nothing_else() -> None:
    code = (
        "import sys, lucent_runtime.framework;"
        "print(sorted(m for m in sys.modules"
        " if m.startswith(('lucent_runtime.', 'opentelemetry'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['lucent_runtime.framework']"
