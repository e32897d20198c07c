"""Fix a snippet in memory, as ``lucent-lint check --fix -`` would."""

from __future__ import annotations

from pathlib import Path

from lucent_lint.config import Settings, settings_from_mapping
from lucent_lint.engine.registry import Selection
from lucent_lint.run.fix import FixRun, fix_stdin

#: a file name that exists nowhere, so the module name is its stem
SNIPPET = "fix_snippet_example.py"


def settings_for(config: dict | None = None, *, unsafe: bool = False) -> Settings:
    settings = settings_from_mapping(config) if config else Settings()
    return settings.model_copy(update={"unsafe_fixes": True}) if unsafe else settings


def fix_text(text: str, config: dict | None = None, *, unsafe: bool = False) -> FixRun:
    settings = settings_for(config, unsafe=unsafe)
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    return fix_stdin(text.encode(), SNIPPET, settings, Path.cwd(), selection)


def fixed(text: str, config: dict | None = None, *, unsafe: bool = False) -> str:
    """The fixed text, checked to be stable: fixing it again changes nothing."""
    run = fix_text(text, config, unsafe=unsafe)
    assert not run.run.errors, run.run.errors
    result = run.files[0].fixed
    again = fix_text(result, config, unsafe=unsafe)
    assert again.files[0].fixed == result, "a second --fix changed the code again"
    assert again.fixed == 0
    compile(result, SNIPPET, "exec")
    return result


def codes(run: FixRun) -> list[str]:
    return sorted(f.code for f in run.run.findings)
