"""Time lucent-lint against the parse floor and other linters, on the same files.

    python benchmarks/bench.py [--quick] [--corpus services|heavy|django|all] [--repeat N]

Corpora (prepared once under ``benchmarks/.data/``, which git ignores):

- ``services``: a generated repository of 1,000 Lucent service modules in the standard's
  style (``benchmarks/generate_services.py``, deterministic), where most files are clean;
- ``heavy``: the same generator's findings-heavy variant (``--heavy``: about three findings
  per module, services extending project bases from another folder);
- ``django``: the django 5.2 wheel from the package index (``pip download``), unpacked.

Each corpus gets its own ``pyproject.toml`` and ``git init`` so that no configuration or
``.gitignore`` of an enclosing checkout applies. Every command runs in a fresh process
(wall time, median of ``--repeat`` runs; peak RSS of the largest process it started;
lucent-lint cold and the parse floor alternate, and their ratio is the median of the
ratios of runs made side by side):

- lucent-lint cold (``--no-cache --jobs 2``) and warm (cache filled, nothing changed);
- the libcst parse floor (``parse_module`` of every file over 2 processes) and
  ``ast.parse`` of every file in one process (``benchmarks/floor.py``);
- flake8 ``--jobs 2`` with its own plugins (``benchmarks/flake8_plain.py``), ruff
  (``--no-cache``), fixit ``lint`` (the ``bench`` extra), and flake8 running only
  lucent-lint's plugin (``--select LUC``).

``--quick`` runs each command once and skips the slow ones (fixit, the flake8 plugin).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
PY = sys.executable
JOBS = "2"
DJANGO = "django==5.2.*"

# Runs a command in a fresh process and reports its wall time, the CPU time of all its
# processes and the peak RSS of the largest one (RUSAGE_CHILDREN after they are reaped).
_WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "rc": done.returncode,
                  "rss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime,
                  "stdout": done.stdout.decode(errors="replace")[-300:],
                  "stderr": done.stderr.decode(errors="replace")[-600:]}))
"""


@dataclass
class Measure:
    name: str
    seconds: list[float] = field(default_factory=list)
    #: CPU seconds (user + system) of all the command's processes, per run
    cpu: list[float] = field(default_factory=list)
    rss_kb: int = 0
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")


def run_once(command: list[str], cwd: Path, ok: tuple[int, ...] = (0, 1)) -> dict:
    out = subprocess.run(
        [PY, "-c", _WRAPPER, str(cwd), *command], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout)
    if result["rc"] not in ok:
        raise SystemExit(
            f"benchmark command failed ({result['rc']}): {' '.join(command)}\n{result['stderr']}"
        )
    return result


def _record(out: Measure, result: dict) -> None:
    out.seconds.append(result["seconds"])
    out.cpu.append(result["cpu"])
    out.rss_kb = max(out.rss_kb, result["rss_kb"])


def _show(out: Measure) -> None:
    print(
        f"  {out.name:<34} {out.median:8.2f} s  {out.rss_kb / 1024:6.0f} MB"
        f"  (CPU {out.cpu_median:.2f} s)",
        flush=True,
    )


def measure(name: str, command: list[str], cwd: Path, repeat: int, **kw: object) -> Measure:
    out = Measure(name)
    for _ in range(repeat):
        _record(out, run_once(command, cwd, **kw))  # type: ignore[arg-type]
    _show(out)
    return out


def measure_alternating(
    commands: list[tuple[str, list[str]]], cwd: Path, repeat: int
) -> list[Measure]:
    """Like :func:`measure` for each command, the commands' runs alternating (a, b, a, b...):
    a machine whose speed drifts during the benchmark (a shared host) then slows both alike,
    and the ratio of the i-th runs compares runs made side by side."""
    out = [Measure(name) for name, _ in commands]
    for _ in range(repeat):
        for measured, (_, command) in zip(out, commands, strict=True):
            _record(measured, run_once(command, cwd))
    for measured in out:
        _show(measured)
    return out


def paired_ratio(a: Measure, b: Measure, cpu: bool = False) -> float:
    """The median over alternating runs of ``a``'s time over ``b``'s (see
    :func:`measure_alternating`)."""
    pairs = zip(a.cpu, b.cpu, strict=True) if cpu else zip(a.seconds, b.seconds, strict=True)
    ratios = [x / y for x, y in pairs if y]
    return statistics.median(ratios) if ratios else float("nan")


# -- corpora -----------------------------------------------------------------------------------

_PYPROJECT = '[project]\nname = "corpus"\nversion = "0"\n\n[tool.lucent-lint]\n\n[tool.ruff]\n'
_PYPROJECT += "\n[tool.fixit]\nroot = true\n"


def _isolate(root: Path) -> None:
    (root / "pyproject.toml").write_text(_PYPROJECT)
    if not (root / ".git").exists():
        subprocess.run(["git", "init", "-q", str(root)], check=True)


def prepare_services(modules: int, heavy: bool = False) -> Path:
    root = DATA / f"services-{'heavy-' if heavy else ''}{modules}"
    if not (root / "pyproject.toml").exists():
        sys.path.insert(0, str(HERE))
        from generate_services import generate

        counts = generate(root, modules=modules, heavy=heavy)
        print(f"generated {root.name}: {counts}")
        _isolate(root)
    return root


def prepare_django() -> Path:
    root = DATA / "django-5.2"
    if (root / "pyproject.toml").exists():
        return root
    wheels = DATA / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            PY,
            "-m",
            "pip",
            "download",
            DJANGO,
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(wheels),
        ],
        check=True,
    )
    (wheel,) = sorted(wheels.glob("Django-5.2*.whl")) or sorted(wheels.glob("django-5.2*.whl"))
    if root.exists():
        shutil.rmtree(root)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(root)
    _isolate(root)
    return root


# -- the run -----------------------------------------------------------------------------------


def _fingerprint() -> str:
    sys.path.insert(0, str(HERE.parent))
    from lucent_lint.run.cache import build_fingerprint

    return build_fingerprint()


def bench_corpus(root: Path, repeat: int, fixit: bool) -> dict[str, Measure]:
    sys.path.insert(0, str(HERE))
    from floor import python_files

    files = python_files(root)
    lines = sum(Path(f).read_bytes().count(b"\n") for f in files)
    print(f"\n{root.name}: {len(files)} files, {lines:,} lines")
    lint = [PY, "-m", "lucent_lint", "check", ".", "--exit-zero", "--jobs", JOBS]
    shutil.rmtree(root / ".lucent_lint_cache", ignore_errors=True)
    out: dict[str, Measure] = {}
    # cold and the parse floor alternate: their ratio is the goal
    out["cold"], out["floor"] = measure_alternating(
        [
            ("lucent-lint cold (--no-cache)", [*lint, "--no-cache"]),
            (
                "libcst parse_module, 2 processes",
                [PY, str(HERE / "floor.py"), "libcst", ".", "--jobs", JOBS],
            ),
        ],
        root,
        repeat,
    )
    for _attempt in range(3):
        before = _fingerprint()
        run_once(lint, root)  # fills the cache
        warm = measure("lucent-lint warm (cache)", lint, root, repeat)
        if _fingerprint() == before:
            break
        print("  (lucent-lint's sources changed during the warm runs: measuring again)")
    out["warm"] = warm
    out["ast"] = measure(
        "ast.parse, 1 process", [PY, str(HERE / "floor.py"), "ast", "."], root, repeat
    )
    plain = [PY, str(HERE / "flake8_plain.py"), "--jobs", JOBS, "--exit-zero", "."]
    out["flake8"] = measure("flake8 --jobs 2", plain, root, repeat)
    from ruff.__main__ import find_ruff_bin

    out["ruff"] = measure(
        "ruff check --no-cache",
        [find_ruff_bin(), "check", "--no-cache", "--exit-zero", "-q", "."],
        root,
        repeat,
    )
    if fixit:
        # slow: one run; fixit exits 1 when it reports anything
        out["fixit"] = measure("fixit lint", [PY, "-m", "fixit", "lint", "."], root, 1)
        plugin = [PY, "-m", "flake8", "--jobs", JOBS, "--select", "LUC", "--exit-zero", "."]
        out["plugin"] = measure("flake8 --select LUC (the plugin)", plugin, root, 1)
    return out


def _ratio(a: Measure | None, b: Measure | None) -> float:
    if a is None or b is None or not a.seconds or not b.seconds:
        return float("nan")
    return a.median / b.median


def report(results: dict[str, dict[str, Measure]]) -> list[tuple[str, bool]]:
    names = [
        ("cold", "lucent-lint, cold (`--no-cache --jobs 2`)"),
        ("warm", "lucent-lint, warm (cache, nothing changed)"),
        ("floor", "libcst `parse_module` alone, 2 processes"),
        ("ast", "`ast.parse` alone, 1 process"),
        ("flake8", "flake8 `--jobs 2`"),
        ("ruff", "ruff `--no-cache`"),
        ("fixit", "fixit `lint`"),
        ("plugin", "flake8 `--jobs 2 --select LUC` (lucent-lint's plugin)"),
    ]
    corpora = list(results)
    head = "| tool | " + " | ".join(f"{c} s | x lucent-lint cold" for c in corpora) + " |"
    print("\n" + head)
    print("|---|" + "---:|---:|" * len(corpora))
    for key, label in names:
        cells = []
        for corpus in corpora:
            m = results[corpus].get(key)
            if m is None:
                cells += ["—", "—"]
            else:
                cells += [f"{m.median:.2f}", f"{_ratio(m, results[corpus]['cold']):.2f}"]
        print(f"| {label} | " + " | ".join(cells) + " |")
    checks: list[tuple[str, bool]] = []
    django = results.get("django")
    for name in ("services", "heavy"):
        services = results.get(name)
        if not services:
            continue
        cold = services["cold"]
        floor = paired_ratio(cold, services["floor"])
        checks.append((f"{name}: cold {floor:.2f}x the libcst parse floor (<= 1.3x; median "
                       "of the ratios of runs made side by side)", floor <= 1.3))  # fmt: skip
        checks.append((f"{name}: cold faster than flake8 --jobs 2",
                       _ratio(cold, services["flake8"]) < 1))  # fmt: skip
        checks.append((f"{name}: warm <= 0.1x cold", _ratio(services["warm"], cold) <= 0.1))
        checks.append((f"{name}: peak RSS {cold.rss_kb / 1024:.0f} MB < 300 MB",
                       cold.rss_kb < 300 * 1024))  # fmt: skip
    if django:
        checks.append(("django: cold <= 2x ruff", _ratio(django["cold"], django["ruff"]) <= 2))
    for corpus, measures in results.items():
        if "fixit" in measures:
            speedup = _ratio(measures["fixit"], measures["cold"])
            checks.append((f"{corpus}: {speedup:.0f}x faster than fixit (>= 25x)", speedup >= 25))
    print()
    for name, measures in results.items():
        if "floor" in measures:  # wall time is what counts; CPU shows it on a busy machine
            cpu = paired_ratio(measures["cold"], measures["floor"], cpu=True)
            print(f"note  {name}: cold CPU time {cpu:.2f}x the parse floor's")
    for text, passed in checks:
        print(f"{'PASS' if passed else 'MISS'}  {text}")
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run each, no fixit")
    parser.add_argument("--corpus", choices=["services", "heavy", "django", "all"], default="all")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command (median)")
    parser.add_argument("--modules", type=int, default=1000, help="generated service modules")
    parser.add_argument("--skip-fixit", action="store_true")
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    fixit = not (args.quick or args.skip_fixit)
    load = os.getloadavg()
    print(f"{os.cpu_count()} cores; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    roots = {}
    if args.corpus in ("services", "all"):
        roots["services"] = prepare_services(args.modules)
    if args.corpus in ("heavy", "all"):
        roots["heavy"] = prepare_services(args.modules, heavy=True)
    if args.corpus in ("django", "all"):
        roots["django"] = prepare_django()
    results = {name: bench_corpus(root, repeat, fixit) for name, root in roots.items()}
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    checks = report(results)
    sys.exit(0 if all(passed for _, passed in checks) else 1)


if __name__ == "__main__":
    main()
