"""The small vocabulary every layer shares: how a scenario ended and how a
command exits.

Enums cost the no-op gate nothing: `enum` is already loaded (the console
script imports `re`, which imports it). Both are str/int subclasses, so JSON,
history files and the shell see exactly the values they saw before.
"""
from __future__ import annotations

from enum import IntEnum
from enum import StrEnum


class Status(StrEnum):
    """How one scenario ended, as JSON, history and JUnit spell it."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    TIMEOUT = "timeout"
    ERROR = "error"
    FLAKY = "flaky"  # failed, then passed on a retry


class ExitCode(IntEnum):
    """What `smoke` exits with (README, "Exit codes")."""

    OK = 0
    REFUSED = 1  # the gate (or check) refused: a scenario broke, the manifest shrank, a bypass was refused
    USAGE = 2  # a usage or configuration error, or an internal error: never a pass
    INTERRUPTED = 130  # SIGINT or SIGTERM
