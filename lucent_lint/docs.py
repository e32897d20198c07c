"""The rule docs (``rules/LUC###-slug.md``): found, split into sections, examples extracted.

In a wheel the docs ship as ``lucent_lint/_docs``; in a source checkout they are read from
the repository's ``rules/`` folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "_docs"
_SOURCE = Path(__file__).resolve().parent.parent / "rules"
_FENCE = re.compile(r"```python([^\n]*)\n(.*?)```", re.S)


def docs_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE


@cache
def doc_files() -> dict[str, Path]:
    """Rule code -> its doc file."""
    out = {}
    directory = docs_dir()
    if directory.is_dir():
        for path in sorted(directory.glob("LUC*.md")):
            out[path.name.split("-", 1)[0]] = path
    return out


def names_a_rule(code: str) -> bool:
    """True for a rule's code or a prefix of one (``LUC3``, ``LUC301``)."""
    return any(known.startswith(code) for known in doc_files())


@dataclass(frozen=True)
class CodeBlock:
    section: str
    info: str
    code: str


@dataclass(frozen=True)
class RuleDoc:
    code: str
    path: Path
    text: str
    title: str
    sections: dict[str, str]

    def blocks(self, section: str) -> list[CodeBlock]:
        body = self.sections.get(section, "")
        return [CodeBlock(section, m.group(1).strip(), m.group(2)) for m in _FENCE.finditer(body)]

    def summary(self) -> str:
        """The first sentence of "What it does"."""
        text = " ".join(self.sections.get("What it does", "").split())
        return text.split(". ")[0].rstrip(".") + "." if text else self.title


def load(code: str) -> RuleDoc | None:
    path = doc_files().get(code)
    if path is None:
        return None
    text = path.read_text(encoding="utf-8")
    title = text.splitlines()[0].lstrip("# ").strip() if text else code
    sections: dict[str, str] = {}
    current = None
    buffer: list[str] = []
    in_fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(buffer).strip() + "\n"
            current = line[3:].strip()
            buffer = []
        elif current is not None:
            buffer.append(line)
    if current is not None:
        sections[current] = "\n".join(buffer).strip() + "\n"
    return RuleDoc(code, path, text, title, sections)
