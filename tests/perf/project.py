"""A small project on disk for the performance tests: generated services plus the files
that exercise every path of a run (syntax error, bad encoding, noqa, cross-file bases)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from lucent_lint.config import discover
from lucent_lint.engine.registry import Selection
from lucent_lint.run.runner import RunResult, run_check

REPO = Path(__file__).resolve().parents[2]


def _generator():
    name = "lucent_bench_generate_services"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks/generate_services.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


EXTRA_FILES = {
    # a chain of project bases across files; the middle link has no service code, so it is
    # never parsed and reaches the index only through the text scan
    "lucent_services/platform/__init__.py": "",
    "lucent_services/platform/base.py": (
        "from lucent_runtime import CryptoTradingServiceBase\n\n\n"
        "class PlatformBase(CryptoTradingServiceBase):\n    pass\n"
    ),
    "lucent_services/platform/middle.py": (
        "from .base import PlatformBase\n\n\nclass Middle(PlatformBase):\n    pass\n"
    ),
    "lucent_services/platform/chained_service.py": (
        "from .middle import Middle\n\n\nclass ChainedService(Middle):\n    pass\n"
    ),
    "lucent_services/platform/orphan_service.py": (
        "from .middle import Middle as Unrelated\n\n\nclass OrphanService(object):\n    pass\n"
    ),
    "lucent_services/platform/raw_service.py": (
        "from lucent_runtime import CryptoTradingServiceBase\n\n\n"
        "class RawService(CryptoTradingServiceBase):\n"
        "    async def record(self, stream_id, event):\n"
        "        await self.infrastructure.event_store.append(stream_id, [event])\n"
    ),
    "lucent_services/platform/broken.py": "from lucent_runtime import x\n\ndef f(:\n    pass\n",
    "lucent_services/platform/latin.py": b"# -*- coding: utf-8 -*-\nname = '\xff'\n",
    "lucent_services/platform/suppressed.py": (
        "from lucent_runtime import CryptoTradingServiceBase\n\n\n"
        "class QuietService(CryptoTradingServiceBase):\n"
        "    async def record(self, stream_id, event):\n"
        "        await self.infrastructure.event_store.append(stream_id, [event])  # noqa: LUC301\n"
        "        return 1  # noqa: LUC604\n"
    ),
}


def make_project(root: Path, modules: int = 40, seed: int = 3) -> Path:
    _generator().generate(root, modules=modules, seed=seed)
    for name, content in EXTRA_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def check(root: Path, **options) -> RunResult:
    settings, project_root = discover([root])
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    return run_check([root], settings, project_root, selection, **options)


def rows(run: RunResult) -> list[tuple]:
    """Everything a report shows, in report order."""
    return [
        (f.path, f.line, f.column, f.end_line, f.end_column, f.code, f.message, f.fixable)
        for f in run.findings
    ]
