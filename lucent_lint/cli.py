"""The ``lucent-lint`` command line: arguments, output choice, exit codes. No lint logic.

``check`` reads the configuration once, then hands over to one function per mode: checking
paths, files changed since a git ref, or one file from stdin, and fixing (or showing the
diff of the fixes for) paths or stdin. Each mode calls its runner and ends in the same
steps: the baseline, warnings and errors on stderr, then its output and the exit code.

Exit codes: 0 clean, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

import click

from lucent_lint import __version__
from lucent_lint.config import ConfigError, Settings, discover
from lucent_lint.engine.registry import RULES, Selection, UnknownCodeError
from lucent_lint.run.discovery import MissingPathError

if TYPE_CHECKING:
    from collections import Counter

    from lucent_lint.engine.results import FileResult
    from lucent_lint.report.baseline import FindingKey
    from lucent_lint.run.fix import FixRun
    from lucent_lint.run.runner import RunResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip().upper() for part in value.split(",") if part.strip())


def _fail(message: str) -> NoReturn:
    click.echo(f"lucent-lint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lucent-lint")
def main() -> None:
    """Enforce the Lucent event-driven service standard on Python code."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", help="Comma-separated codes or prefixes to enable (e.g. LUC3,LUC601).")
@click.option("--extend-select", help="Codes or prefixes to enable on top of the configured ones.")
@click.option("--ignore", help="Comma-separated codes or prefixes to disable.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif", "github", "junit"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the report here.")
@click.option(
    "--config", "config_file", type=click.Path(path_type=Path), help="Configuration file."
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Show a count per rule.")
@click.option("--stdin-filename", help="The path of the file read from `-` (stdin).")
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(path_type=Path),
    help="Report only findings not recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    "write_baseline_file",
    type=click.Path(path_type=Path),
    help="Record today's findings in this baseline file, then exit 0.",
)
@click.option(
    "--changed-since",
    metavar="REF",
    help="Check only files changed since this git ref (and untracked ones).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for checking and fixing (default: all cores).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write .lucent_lint_cache/.")
@click.option("--fix", is_flag=True, help="Fix what can be fixed; report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="Also offer and apply fixes marked unsafe.")
@click.option("--diff", is_flag=True, help="Print the diff --fix would apply; write nothing.")
def check(
    paths: tuple[Path, ...],
    select: str | None,
    extend_select: str | None,
    ignore: str | None,
    output_format: str,
    output: Path | None,
    config_file: Path | None,
    exit_zero: bool,
    statistics: bool,
    stdin_filename: str | None,
    baseline_file: Path | None,
    write_baseline_file: Path | None,
    changed_since: str | None,
    jobs: int | None,
    no_cache: bool,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
) -> None:
    """Check PATHS (default: the current directory); `-` reads one file from stdin."""
    from lucent_lint.report import baseline
    from lucent_lint.run.changed import ChangedFilesError

    _check_output(output)
    use_stdin = paths == (Path("-"),)
    if Path("-") in paths and not use_stdin:
        _fail("`-` (read stdin) cannot be combined with other paths")
    if use_stdin and changed_since is not None:
        _fail("--changed-since cannot be combined with `-` (read stdin)")
    if stdin_filename is not None and not use_stdin:
        _fail("--stdin-filename names the file read from stdin: give `-` as the path")
    targets = [Path(".")] if not paths else [] if use_stdin else list(paths)
    try:
        config_start = [Path(stdin_filename)] if use_stdin and stdin_filename else targets
        settings, root = _settings(
            config_start, config_file, select, extend_select, ignore, unsafe_fixes
        )
        selection = Selection(settings.select, settings.ignore, settings.extend_select)
        accepted = (
            baseline.load(baseline_file) if baseline_file and not write_baseline_file else None
        )
        request = _Request(
            settings=settings,
            root=root,
            selection=selection,
            use_cache=not no_cache,
            jobs=jobs,
            output_format=output_format,
            output=output,
            statistics=statistics,
            exit_zero=exit_zero,
            baseline_file=baseline_file,
            write_baseline_file=write_baseline_file,
            accepted=accepted,
        )
        if use_stdin:
            data, name = sys.stdin.buffer.read(), stdin_filename or "stdin.py"
            if fix or diff:
                _fix_stdin(request, data, name, diff=diff)
            else:
                _check_stdin(request, data, name)
        elif fix or diff:
            if changed_since is not None:
                _fail("--changed-since cannot be combined with --fix or --diff")
            _fix_paths(request, targets, diff=diff)
        elif changed_since is not None:
            _changed(request, targets, changed_since)
        else:
            _check_paths(request, targets)
    except (
        ConfigError,
        UnknownCodeError,
        MissingPathError,
        ChangedFilesError,
        baseline.BaselineError,
    ) as exc:
        _fail(str(exc))


@dataclass(frozen=True)
class _Request:
    """What ``check`` was asked to do, once the configuration is read: every mode runs
    and reports under it."""

    settings: Settings
    root: Path
    selection: Selection
    use_cache: bool
    jobs: int | None
    output_format: str
    output: Path | None
    statistics: bool
    exit_zero: bool
    baseline_file: Path | None
    write_baseline_file: Path | None
    #: the findings the baseline accepts (``None``: no baseline to apply)
    accepted: Counter[FindingKey] | None


# -- the modes: each runs, then ends in the shared steps (and exits) ------------------------------


def _check_paths(request: _Request, targets: list[Path]) -> NoReturn:
    from lucent_lint.run.pool import default_jobs
    from lucent_lint.run.progress import Progress, wanted
    from lucent_lint.run.runner import run_check

    bar = Progress(sys.stderr, wanted(sys.stderr, request.output_format))
    run = run_check(
        targets,
        request.settings,
        request.root,
        request.selection,
        _outside_index(request, targets),
        jobs=request.jobs or default_jobs(),
        use_cache=request.use_cache,
        progress=bar,
    )
    _settle(request, run)
    _emit_report(request, run)


def _changed(request: _Request, targets: list[Path], ref: str) -> NoReturn:
    """``--changed-since REF``: the changed files under ``targets`` (the rest of the project
    still feeds the class index)."""
    from lucent_lint.run.changed import run_changed
    from lucent_lint.run.pool import default_jobs

    run = run_changed(
        targets,
        request.settings,
        request.root,
        request.selection,
        ref,
        use_cache=request.use_cache,
        jobs=request.jobs or default_jobs(),
    )
    _settle(request, run)
    _emit_report(request, run)


def _check_stdin(request: _Request, data: bytes, name: str) -> NoReturn:
    """``-``: one file read from stdin, checked as if it were at ``name``."""
    from lucent_lint.run.runner import run_stdin

    index = _outside_index(request, [], exclude=Path(name))
    run = run_stdin(data, name, request.settings, request.root, request.selection, index)
    _settle(request, run)
    _emit_report(request, run)


def _fix_paths(request: _Request, targets: list[Path], *, diff: bool) -> NoReturn:
    """``--fix`` rewrites the files and reports what remains; ``--diff`` writes nothing and
    prints the diff instead."""
    from lucent_lint.run.fix import fix_paths
    from lucent_lint.run.pool import default_jobs
    from lucent_lint.run.progress import Progress, wanted

    index = _outside_index(request, targets)
    bar = Progress(sys.stderr, wanted(sys.stderr, request.output_format))
    fixing = fix_paths(
        targets,
        request.settings,
        request.root,
        request.selection,
        index,
        write=not diff,
        jobs=request.jobs or default_jobs(),
        use_cache=request.use_cache,
        progress=bar,
    )
    _settle(request, fixing.run)
    if diff:
        _emit_diff(request, fixing)
    _emit_report(request, fixing.run)


def _fix_stdin(request: _Request, data: bytes, name: str, *, diff: bool) -> NoReturn:
    """``--fix -``: the fixed source to stdout and the report aside, to stderr (or to
    ``--output``); with ``--diff`` only the diff."""
    from lucent_lint.run.fix import fix_stdin

    index = _outside_index(request, [], exclude=Path(name))
    fixing = fix_stdin(
        data, name, request.settings, request.root, request.selection, index, write=not diff
    )
    _settle(request, fixing.run)
    if diff:
        _emit_diff(request, fixing)
    sys.stdout.buffer.write(fixing.files[0].output(data))
    sys.stdout.flush()
    if request.output is None:
        _write(request, fixing.run, sys.stderr, to_stdout=False)
        sys.exit(_exit_code(fixing.run, request.exit_zero))
    _emit_report(request, fixing.run)


def _outside_index(
    request: _Request, targets: list[Path], exclude: Path | None = None
) -> list[FileResult]:
    from lucent_lint.run.repo_index import outside_index

    return outside_index(
        targets,
        request.settings,
        request.root,
        exclude=[exclude] if exclude is not None else [],
        use_cache=request.use_cache,
    )


# -- the steps every mode ends in -----------------------------------------------------------------


def _settle(request: _Request, run: RunResult) -> None:
    """The baseline (``--write-baseline`` records the run and ends it; ``--baseline`` drops
    the accepted findings and names the stale entries), then warnings and errors."""
    from lucent_lint.report import baseline

    if request.write_baseline_file is not None:
        count = baseline.write(request.write_baseline_file, run, request.root)
        noun = "finding" if count == 1 else "findings"
        click.echo(f"lucent-lint: wrote {count} {noun} to {request.write_baseline_file}", err=True)
        sys.exit(EXIT_ERROR if run.errors else EXIT_CLEAN)
    if request.accepted is not None:
        applied = baseline.apply(run, request.accepted, request.root, run.checked)
        if applied.stale:
            click.echo(baseline.stale_report(applied.stale, request.baseline_file), err=True)
    for warning in run.warnings:
        click.echo(f"lucent-lint: warning: {warning}", err=True)
    for error in run.errors:
        click.echo(f"lucent-lint: error: {error}", err=True)


def _emit_report(request: _Request, run: RunResult) -> NoReturn:
    """The report to ``--output`` or stdout, and the exit code."""
    output = request.output
    try:
        stream_cm = (
            open(output, "w", encoding="utf-8")  # noqa: SIM115 - closed by the with below
            if output is not None
            else nullcontext(sys.stdout)
        )
        with stream_cm as stream:
            _write(request, run, stream, to_stdout=output is None)
    except BrokenPipeError:  # `lucent-lint check | head`
        sys.stderr.close()
        sys.exit(EXIT_FINDINGS if run.findings and not request.exit_zero else EXIT_CLEAN)
    except OSError as exc:
        _fail(f"cannot write {output or 'stdout'}: {exc.strerror or exc}")
    sys.exit(_exit_code(run, request.exit_zero))


def _emit_diff(request: _Request, fixing: FixRun) -> NoReturn:
    """``--diff``: the changes ``--fix`` would make, nothing written; exit as a check."""
    text = fixing.diff()
    try:
        if request.output is not None:
            request.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
    except OSError as exc:
        _fail(f"cannot write {request.output}: {exc.strerror or exc}")
    if fixing.fixed:
        noun = "finding" if fixing.fixed == 1 else "findings"
        click.echo(f"Would fix {fixing.fixed} {noun}.", err=True)
    sys.exit(_exit_code(fixing.run, request.exit_zero))


def _exit_code(run: RunResult, exit_zero: bool) -> int:
    """Errors before findings: an incomplete run must not pass for a clean one."""
    if run.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if run.findings and not exit_zero else EXIT_CLEAN


def _write(request: _Request, run: RunResult, stream: TextIO, *, to_stdout: bool) -> None:
    from lucent_lint.report import OutputOptions, formatter

    terminal = to_stdout and stream.isatty()
    options = OutputOptions(
        color=terminal,
        show_source=terminal,
        statistics=request.statistics,
        root=str(request.root),
    )
    formatter(request.output_format)(run, stream, options)
    stream.flush()


# -- the options ----------------------------------------------------------------------------------


def _check_output(output: Path | None) -> None:
    """``--output`` must name a file in an existing folder: said before the run, not after."""
    if output is None:
        return
    if output.is_dir():
        _fail(f"--output {output}: is a directory, expected a file to write the report to")
    if not output.parent.is_dir():
        _fail(f"--output {output}: folder {output.parent} does not exist")


def _settings(
    start: list[Path],
    config_file: Path | None,
    select: str | None,
    extend_select: str | None,
    ignore: str | None,
    unsafe_fixes: bool,
) -> tuple[Settings, Path]:
    """The configuration found from ``start`` (or ``--config``), then the command line's
    codes and ``--unsafe-fixes`` on top; and the project root."""
    settings, root = discover([p for p in start if p.exists()] or [Path.cwd()], config_file)
    settings = _override(settings, select, extend_select, ignore)
    if unsafe_fixes:
        settings = settings.model_copy(update={"unsafe_fixes": True})
    return settings, root


def _override(
    settings: Settings, select: str | None, extend_select: str | None, ignore: str | None
) -> Settings:
    from lucent_lint.config import check_codes, settings_from_mapping

    given = {"select": select, "extend-select": extend_select, "ignore": ignore}
    codes = {key: _codes(value) for key, value in given.items() if value}
    for key, value in codes.items():
        try:
            check_codes(value)
        except ValueError as exc:
            _fail(f"--{key}: {exc}")
    update: dict[str, tuple[str, ...]] = {}
    if "select" in codes:
        update["select"] = codes["select"]
    if "extend-select" in codes:
        update["extend_select"] = settings.extend_select + codes["extend-select"]
    if "ignore" in codes:
        update["ignore"] = settings.ignore + codes["ignore"]
    if not update:
        return settings

    merged = settings.model_dump(by_alias=True)
    merged.update({key.replace("_", "-"): value for key, value in update.items()})
    return settings_from_mapping(merged, "command line")


@main.command("rules")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default="text"
)
def rules_command(output_format: str) -> None:
    """List the rule catalogue (``--format markdown`` writes the README's table)."""
    import json

    rows = [
        {
            "code": code,
            "slug": rule.slug,
            "checklist": rule.checklist,
            "fixable": rule.fix_safety or "",
        }
        for code, rule in RULES.items()
    ]
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if output_format == "markdown":
        click.echo("| code | slug | checklist item | fix |\n|---|---|---|---|")
        for row in rows:
            fix = row["fixable"] or "—"
            click.echo(f"| {row['code']} | {row['slug']} | {row['checklist']} | {fix} |")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="lucent-lint rules")
    for column in ("code", "slug", "checklist item", "fixable"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["code"], row["slug"], row["checklist"], row["fixable"])
    Console(width=max(100, Console().width)).print(table)


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Print the documentation of a rule (e.g. `lucent-lint explain LUC301`)."""
    from lucent_lint import docs

    code = code.strip().upper()
    if code not in RULES:
        _fail(f"unknown rule code {code!r} (see `lucent-lint rules`)")
    doc = docs.load(code)
    if doc is None:
        _fail(f"no documentation found for {code}")
    click.echo(doc.text.rstrip())


if __name__ == "__main__":  # pragma: no cover
    main()
