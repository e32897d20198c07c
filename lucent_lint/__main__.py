"""``python -m lucent_lint``.

``python -m`` puts the working directory first on ``sys.path``: inside a checkout being
linted, its modules would shadow the standard library and the linter's dependencies (a
``pydantic.py`` there would run). That entry is dropped before anything else is imported.
"""

import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from lucent_lint.cli import main  # after sys.path is made safe

main()
