"""flake8 with its own plugins only (pyflakes, pycodestyle, mccabe).

    python benchmarks/flake8_plain.py [flake8 arguments]

The lucent-lint flake8 plugin, installed in the same environment, is left out, so the
benchmark compares with flake8 as a project without lucent-lint runs it.
"""

from __future__ import annotations

import sys

from flake8.main.cli import main
from flake8.plugins import finder

_find = finder._find_importlib_plugins


def _without_lucent_lint():  # type: ignore[no-untyped-def]
    return (plugin for plugin in _find() if plugin.package != "lucent-lint")


finder._find_importlib_plugins = _without_lucent_lint

if __name__ == "__main__":
    sys.exit(main())
