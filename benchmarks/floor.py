"""The parse floor: read every Python file of a tree and parse it, nothing else.

    python benchmarks/floor.py {libcst,ast} [--jobs N] DIR

With ``--jobs N`` > 1 the files are parsed over N forked processes (paths sent in chunks,
as lucent-lint does), so the time is what any libcst-based linter must pay at least.
Prints the number of files parsed.
"""

from __future__ import annotations

import argparse
import ast
import multiprocessing
import os
import sys
from pathlib import Path


def python_files(root: Path) -> list[str]:
    """Every ``.py`` file below ``root``, hidden directories skipped, sorted."""
    out = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out.extend(os.path.join(directory, n) for n in sorted(filenames) if n.endswith(".py"))
    return out


def _parse_libcst(paths: list[str]) -> int:
    import libcst

    done = 0
    for path in paths:
        with open(path, "rb") as stream:
            data = stream.read()
        try:
            libcst.parse_module(data.decode("utf-8"))
            done += 1
        except (libcst.ParserSyntaxError, UnicodeDecodeError):
            pass
    return done


def _parse_ast(paths: list[str]) -> int:
    done = 0
    for path in paths:
        with open(path, "rb") as stream:
            data = stream.read()
        try:
            ast.parse(data)
            done += 1
        except (SyntaxError, ValueError):
            pass
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parser", choices=["libcst", "ast"])
    parser.add_argument("root", type=Path)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    paths = python_files(args.root)
    work = _parse_libcst if args.parser == "libcst" else _parse_ast
    if args.jobs <= 1:
        parsed = work(paths)
    else:
        if args.parser == "libcst":
            import libcst  # noqa: F401 - imported once, before the fork, as lucent-lint does
        ordered = sorted(paths, key=lambda p: -os.path.getsize(p))
        chunks = [ordered[i :: args.jobs * 6] for i in range(args.jobs * 6)]
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            parsed = sum(pool.imap_unordered(work, chunks))
    print(parsed)
    sys.exit(0)


if __name__ == "__main__":
    main()
