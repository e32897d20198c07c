"""The static catalogue agrees with the rule classes, and a run over files without
service code never imports libcst or a rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lucent_lint.engine.registry import CATALOGUE, GLOBAL_RULES, RULES


def test_catalogue_matches_the_rule_classes() -> None:
    assert {code: rule.slug for code, rule in RULES.items()} == CATALOGUE
    assert set(RULES) >= GLOBAL_RULES


def test_readme_table_is_the_generated_catalogue() -> None:
    from tests.cli import lucent

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = lucent("rules", "--format", "markdown", cwd=Path.cwd()).stdout
    assert table.count("\n") == len(RULES) + 2
    assert table in readme, (
        "README's rule table is stale: paste `lucent-lint rules --format markdown`"
    )


def test_a_run_without_service_code_does_not_load_libcst(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("class Cache:\n    pass\n")
    code = (
        "import sys\n"
        "from lucent_lint.cli import main\n"
        "try:\n"
        "    main(['check', '--no-cache', sys.argv[1]])\n"
        "except SystemExit as exit:\n"
        "    heavy = ('libcst', 'opentelemetry', 'nats')\n"
        "    loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "    print(exit.code, loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "."], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines()[-1] == "0 []"
