"""smoke-gate: a smoke test that is a hard gate."""
from __future__ import annotations

__version__ = "0.1.0"
