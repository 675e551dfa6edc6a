"""Errors a user can cause: each is one clear line and exit code 2."""
from __future__ import annotations

from smoke.records import Problem


class SmokeError(Exception):
    """A usage or configuration error: printed as one line, exit 2."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"


class ManifestError(SmokeError):
    """The manifest cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(str(problems[0]) if problems else "invalid manifest")
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(map(str, self.problems))
