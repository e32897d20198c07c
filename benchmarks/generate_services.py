"""Generate a deterministic repository of Lucent service modules for benchmarking.

    python benchmarks/generate_services.py OUT_DIR [--modules 1000] [--seed 7] [--heavy]

Every module is written the way the standard asks (business contexts from the builder,
operations, multi-step processes, event handlers wrapped in ``handle_domain_event``,
commands, error handling that keeps the context) in the style of the standard's examples. A
few percent of the methods take one of the shortcuts the linter flags, so the run reports
findings (and pays for positions) as a real repository would. Next to the services there
are plain helper modules (models, mappers) that the engine's text pre-filter skips.

``--heavy`` writes the findings-heavy variant: shortcuts about ten times as often (about
three findings per service module), and every service extends a project base class from
another folder (``lucent_services/platform/bases.py``), so that base-class checks follow
the repository's class index across folders.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

DOMAINS = {
    "trading": ("CryptoTradingServiceBase", "for_crypto_trading", "Trade"),
    "yield_farming": ("CryptoTradingServiceBase", "for_yield_farming", "YieldPosition"),
    "portfolio": ("CryptoTradingServiceBase", "for_crypto_trading", "Portfolio"),
    "risk": ("CryptoTradingServiceBase", "for_crypto_trading", "RiskAssessment"),
    "users": ("UserServiceBase", "for_user_management", "User"),
    "notifications": ("LucentServiceBase", None, "Notification"),
}
NOUNS = (
    "Order Swap Position Vault Pool Quote Route Ledger Wallet Limit Alert Fee Rebate Stake "
    "Bridge Oracle Margin Hedge Basket Signal"
).split()
VERBS = (
    ("execute", "Executed"),
    ("open", "Opened"),
    ("close", "Closed"),
    ("rebalance", "Rebalanced"),
    ("settle", "Settled"),
    ("approve", "Approved"),
    ("cancel", "Cancelled"),
    ("price", "Priced"),
    ("verify", "Verified"),
    ("archive", "Archived"),
)
TARGETS = ("risk-assessment", "pricing", "compliance", "ledger", "notifications")


def kebab(name: str) -> str:
    out = []
    for index, char in enumerate(name):
        if char.isupper() and index:
            out.append("-")
        out.append(char.lower())
    return "".join(out)


def snake(name: str) -> str:
    return kebab(name).replace("-", "_")


class ModuleWriter:
    def __init__(
        self, rng: random.Random, domain: str, index: int, rate: float = 1.0, heavy: bool = False
    ) -> None:
        self.rng = rng
        self.domain = domain
        self.rate = rate
        self.heavy = heavy
        self.base, self.start, self.aggregate = DOMAINS[domain]
        self.noun = rng.choice(NOUNS)
        self.service = f"{self.noun}{snake(domain).title().replace('_', '')}{index}Service"
        self.lines: list[str] = []
        self.violations = 0

    def bad(self, probability: float = 0.04) -> bool:
        hit = self.rng.random() < probability * self.rate
        self.violations += hit
        return hit

    def context(self, indent: str, key: str) -> list[str]:
        agg = self.aggregate
        start = (
            f".{self.start}()"
            if self.start
            else f'.for_domain("{kebab(self.domain)}", "{kebab(self.domain)}")'
        )
        lines = [
            f"{indent}business_context = (",
            f"{indent}    BusinessContextBuilder{start}",
            f'{indent}    .with_aggregate("{agg}", f"{kebab(agg)}-{{{key}}}")',
            f"{indent}    .with_user(request.user_id)",
        ]
        if self.base == "CryptoTradingServiceBase":
            lines += [
                f"{indent}    .with_trading_pair(request.pair)",
                f"{indent}    .with_amount(request.amount_usd)",
                f'{indent}    .with_priority("high" if request.amount_usd > 100_000 else "normal")',
            ]
        lines += [f'{indent}    .with_workflow(f"{self.noun.lower()}-workflow-{{{key}}}")']
        if not self.bad(0.01):
            lines.append(f"{indent}    .build()")
        lines.append(f"{indent})")
        return lines

    def operation(self, verb: str, past: str) -> list[str]:
        agg = self.aggregate
        name = f"{verb}_{snake(self.noun)}"
        event = f"{self.noun}{past}" if not self.bad(0.03) else f"{self.noun}{verb.title()}"
        stream = f'f"{kebab(agg)}-{{request.{snake(agg)}_id}}"'
        out = [f"    async def {name}(self, request: {self.noun}Request) -> dict:"]
        out += [f'        """{verb.title()} the {self.noun.lower()} of the request."""']
        out += self.context("        ", f"request.{snake(agg)}_id")
        out += [
            "",
            "        async def run(ctx: RequestContext) -> dict:",
            f"            result = await self.repository.{verb}(request)",
            "            if result.get('amount_usd', 0) < 0:",
            f"                raise {self.noun}Error('negative amount')",
        ]
        if self.bad(0.02):
            out += [f"            await self.infrastructure.event_store.append({stream}, [result])"]
        else:
            out += [
                "            await self.publish_domain_event(",
                f'                "{event}",',
                f"                {stream},",
                "                result,",
                "                business_context,",
                "                ctx,",
                "            )",
            ]
        out += [
            "            return result",
            "",
            "        return await self.execute_business_operation("
            f'"{name}", business_context, run)',
            "",
        ]
        return out

    def process(self) -> list[str]:
        name = f"{snake(self.noun)}_lifecycle"
        out = [f"    async def run_{name}(self, request: {self.noun}Request) -> dict:"]
        out += self.context("        ", f"request.{snake(self.aggregate)}_id")
        steps = self.rng.sample(VERBS, 3)
        out.append("")
        for verb, _ in steps:
            out += [
                f"        async def step_{verb}(ctx: RequestContext, previous: object) -> dict:",
                f"            return await self.repository.{verb}(request)",
                "",
            ]
        out.append("        return await self.execute_business_process(")
        out.append(f'            "{name}",')
        out.append("            business_context,")
        out.append("            [")
        for verb, _ in steps:
            out.append(f'                ProcessStep("{verb}_{snake(self.noun)}", step_{verb}),')
        out += ["            ],", "        )", ""]
        return out

    def handler(self, past: str) -> list[str]:
        event = f"{self.rng.choice(NOUNS)}{past}"
        out = [f'    @event_handler("{event}")']
        out.append(f"    async def handle_{snake(event)}(self, event: DomainEvent) -> None:")
        if self.bad(0.03):
            out += [
                "        portfolio = await self.repository.apply(event.data)",
                "        self.cache[event.stream_id] = portfolio",
                "",
            ]
            return out
        out += [
            "        async def apply(event: DomainEvent, ctx: RequestContext) -> None:",
            "            state = await self.repository.apply(event.data)",
            "            await self.publish_domain_event(",
            f'                "{self.noun}Updated",',
            f"                f\"{kebab(self.aggregate)}-{{event.data['id']}}\",",
            "                state,",
            "                ctx.business_context,",
            "                ctx,",
            "            )",
            "",
            "        await self.handle_domain_event(event, apply)",
            "",
        ]
        return out

    def command(self) -> list[str]:
        target = self.rng.choice(TARGETS)
        command = f"Assess{self.noun}Risk" if not self.bad(0.02) else f"assess_{snake(self.noun)}"
        out = [
            f"    async def request_{snake(self.noun)}_review("
            f"self, request: {self.noun}Request) -> dict:"
        ]
        out += self.context("        ", f"request.{snake(self.aggregate)}_id")
        out += [
            "        try:",
            "            return await self.send_command(",
            f'                "{target}",',
            f'                "{command}",',
            "                {'id': request.id, 'amount_usd': request.amount_usd},",
            "                business_context,",
            "                timeout=15.0,",
            "            )",
        ]
        if self.bad(0.03):
            out += ["        except:", "            return {'approved': False}", ""]
        elif self.bad(0.03):
            out += [
                "        except CommandTimeoutError as error:",
                f"            raise {self.noun}Error('review timed out')",
                "",
            ]
        else:
            out += [
                "        except CommandTimeoutError as error:",
                "            self.logger.error(",
                f"                '{self.noun} review timed out',",
                "                {'request_id': request.id, 'target': " + repr(target) + "},",
                "                error,",
                "            )",
                f"            raise {self.noun}Error('review timed out') from error",
                "",
            ]
        return out

    def command_handler(self) -> list[str]:
        command = f"Quote{self.noun}"
        return [
            f'    @command_handler("{command}")',
            f"    async def quote_{snake(self.noun)}("
            "self, data: dict, ctx: RequestContext) -> dict:",
            "        price = await self.repository.price(data)",
            "        return {'price': price, 'correlation_id': ctx.correlation_id}",
            "",
        ]

    def render(self) -> str:
        rng = self.rng
        noun = self.noun
        out = [
            f'"""The {noun.lower()} service of the {self.domain.replace("_", " ")} domain."""',
            "",
            "from __future__ import annotations",
            "",
            "from dataclasses import dataclass, field",
            "",
            "from lucent_runtime import (",
            "    BusinessContextBuilder,",
            *([] if self.heavy else [f"    {self.base},"]),
            "    DomainEvent,",
            "    ProcessStep,",
            "    RequestContext,",
            "    command_handler,",
            "    CommandTimeoutError,",
            "    event_handler,",
            ")",
            "",
            *([f"from ...platform.bases import Platform{self.base}"] if self.heavy else []),
            f"from ..models import {noun}Request",
            f"from ..repositories import {noun}Repository",
            "",
            "",
            f"class {noun}Error(Exception):",
            f'    """An operation on a {noun.lower()} that cannot complete."""',
            "",
            "",
            "@dataclass",
            f"class {noun}Limits:",
            "    max_amount_usd: float = 1_000_000.0",
            "    pairs: list[str] = field(default_factory=list)",
            "",
            f"    def allows(self, request: {noun}Request) -> bool:",
            "        return request.amount_usd <= self.max_amount_usd and (",
            "            not self.pairs or request.pair in self.pairs",
            "        )",
            "",
            "",
            f"class {self.service}({'Platform' if self.heavy else ''}{self.base}):",
            f'    """Operations on {noun.lower()}s, with business context on every one."""',
            "",
            "    def __init__(self, infrastructure, repository=None) -> None:",
            f'        super().__init__(infrastructure, "{kebab(self.domain)}")',
            f"        self.repository = repository or {noun}Repository()",
            f"        self.limits = {noun}Limits()",
            "        self.cache: dict[str, object] = {}",
            "",
        ]
        for verb, past in rng.sample(VERBS, rng.randint(2, 4)):
            out += self.operation(verb, past)
        if rng.random() < 0.7:
            out += self.process()
        for _ in range(rng.randint(1, 3)):
            out += self.handler(rng.choice(VERBS)[1])
        out += self.command()
        if rng.random() < 0.5:
            out += self.command_handler()
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n"


def models_module(domain: str) -> str:
    out = ['"""Request models."""', "", "from __future__ import annotations", ""]
    out += ["from dataclasses import dataclass", ""]
    for noun in NOUNS:
        out += [
            "",
            "@dataclass(frozen=True)",
            f"class {noun}Request:",
            "    id: str",
            "    user_id: str",
            "    pair: str = 'ETH/USDC'",
            "    amount_usd: float = 0.0",
            "",
            "    @property",
            f"    def {snake(DOMAINS[domain][2])}_id(self) -> str:",
            "        return self.id",
        ]
    return "\n".join(out) + "\n"


def repositories_module() -> str:
    out = ['"""Storage of aggregates (a plain helper: no service code)."""', ""]
    out += ["from __future__ import annotations", ""]
    for noun in NOUNS:
        out += ["", f"class {noun}Repository:", "    def __init__(self) -> None:"]
        out += ["        self.rows: dict[str, dict] = {}", ""]
        for verb, _ in VERBS:
            out += [
                f"    async def {verb}(self, request) -> dict:",
                "        row = {'id': request.id, 'amount_usd': request.amount_usd}",
                "        self.rows[request.id] = row",
                "        return row",
                "",
            ]
        out += [
            "    async def apply(self, data: dict) -> dict:",
            "        return dict(data)",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def platform_bases() -> str:
    """The project's own base classes, one per runtime base, in a folder of their own."""
    out = ['"""Platform base classes every service of the company extends."""', ""]
    out += ["from __future__ import annotations", ""]
    bases = sorted({base for base, _, _ in DOMAINS.values()})
    out += ["from lucent_runtime import " + ", ".join(bases), ""]
    for base in bases:
        out += ["", f"class Platform{base}({base}):", '    """Shared set-up."""', ""]
    return "\n".join(out).rstrip() + "\n"


def generate(out: Path, modules: int = 1000, seed: int = 7, heavy: bool = False) -> dict[str, int]:
    """Write the repository; returns counts (files, lines, seeded violations)."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    package = out / "lucent_services"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Generated Lucent services."""\n')
    (out / "pyproject.toml").write_text(
        '[project]\nname = "lucent-services"\nversion = "0"\n\n[tool.lucent-lint]\n'
        "\n[tool.ruff]\n\n[tool.fixit]\nroot = true\n"
    )
    counts = {"files": 1, "lines": 1, "violations": 0}
    if heavy:
        (package / "platform").mkdir()
        (package / "platform" / "__init__.py").write_text("")
        (package / "platform" / "bases.py").write_text(platform_bases())
        counts["files"] += 2
    domains = sorted(DOMAINS)
    per_domain = -(-modules // len(domains))
    written = 0
    for domain in domains:
        directory = package / domain
        (directory / "services").mkdir(parents=True)
        helpers = {
            "__init__.py": f'"""The {domain} domain."""\n',
            "models.py": models_module(domain),
            "repositories.py": repositories_module(),
            "services/__init__.py": "",
        }
        for name, text in helpers.items():
            (directory / name).write_text(text)
            counts["files"] += 1
            counts["lines"] += text.count("\n")
        for index in range(per_domain):
            if written == modules:
                break
            writer = ModuleWriter(rng, domain, index, rate=10.0 if heavy else 1.0, heavy=heavy)
            text = writer.render()
            (directory / "services" / f"{snake(writer.noun)}_{index}_service.py").write_text(text)
            counts["files"] += 1
            counts["lines"] += text.count("\n")
            counts["violations"] += writer.violations
            written += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--modules", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--heavy", action="store_true", help="the findings-heavy variant")
    args = parser.parse_args()
    counts = generate(args.out, args.modules, args.seed, args.heavy)
    files, lines, violations = counts["files"], counts["lines"], counts["violations"]
    print(f"{files} files, {lines} lines, {violations} seeded violations")


if __name__ == "__main__":
    main()
