"""lucent-lint: enforce the Lucent event-driven service standard on Python code."""

from __future__ import annotations

__version__ = "0.2.0"
