"""LUC401 and LUC301 beyond the doc examples: positions, ``internal-host-patterns``, and
the exemption of ``lucent_runtime`` itself, which implements messaging and the store."""

from __future__ import annotations

from textwrap import dedent

from .helpers import lint_text, pairs

SOURCE = dedent(
    """\
    import httpx
    import nats
    from lucent_runtime import CryptoTradingServiceBase


    class PricingService(CryptoTradingServiceBase):
        async def _fetch(self, payload):
            nc = await nats.connect("nats://nats.internal:4222")
            await nc.publish("pricing.updated", payload)
            async with httpx.AsyncClient() as client:
                await client.get("https://prices.corp.example/v1/eth")
                await client.get("http://risk-service/v1/limits")
            await self.infrastructure.event_store.append("price-1", [payload])
    """
)


def _lint(source: str, config: dict | None = None, module: str = "pricing") -> list:
    settings = {"select": ["LUC301", "LUC401"], **(config or {})}
    return lint_text(source, settings, path=module.replace(".", "/") + ".py", module=module)


def test_reported_at_the_start_of_the_call() -> None:
    findings = _lint(SOURCE)
    assert pairs(findings) == [(8, "LUC401"), (9, "LUC401"), (12, "LUC401"), (13, "LUC301")]
    lines = SOURCE.splitlines()
    starts = [lines[f.line - 1][f.column - 1 :] for f in findings]
    assert starts[0].startswith("nats.connect(")
    assert starts[1].startswith("nc.publish(")
    assert starts[2].startswith("client.get(")
    assert starts[3].startswith("self.infrastructure.event_store.append(")


def test_internal_host_patterns_from_configuration() -> None:
    config = {"internal-host-patterns": [r"\.corp\.example$"]}
    assert pairs(_lint(SOURCE, config)) == [
        (8, "LUC401"),
        (9, "LUC401"),
        (11, "LUC401"),
        (13, "LUC301"),
    ]


def test_lucent_runtime_itself_is_exempt() -> None:
    runtime_source = SOURCE.replace(
        "from lucent_runtime import CryptoTradingServiceBase", "from .. import naming"
    ).replace("(CryptoTradingServiceBase)", "")
    assert _lint(runtime_source, module="lucent_runtime.backends.pricing") == []
    assert len(_lint(SOURCE, module="lucent_runtime_extras.pricing")) == 4


def test_noqa_on_the_call_line() -> None:
    source = SOURCE.replace(
        'await nc.publish("pricing.updated", payload)',
        'await nc.publish("pricing.updated", payload)  # noqa: LUC401',
    )
    assert pairs(_lint(source)) == [(8, "LUC401"), (12, "LUC401"), (13, "LUC301")]


def test_clients_followed_through_self_attributes_and_base_url() -> None:
    source = dedent(
        """\
        import httpx
        from lucent_runtime import CryptoTradingServiceBase


        class LedgerService(CryptoTradingServiceBase):
            def __init__(self, infrastructure):
                super().__init__(infrastructure, "ledger")
                self.accounts = httpx.AsyncClient(base_url="http://accounts.svc:8080")
                self.exchange = httpx.AsyncClient(base_url="https://api.kraken.com")

            async def _sync(self):
                await self.accounts.get("/balances")
                await self.exchange.get("/0/public/Ticker")
                await self.accounts.get("https://api.kraken.com/0/public/Time")
        """
    )
    assert pairs(_lint(source)) == [(12, "LUC401")]
