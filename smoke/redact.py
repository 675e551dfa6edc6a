"""Secrets never leave the process: values of secret-named variables are masked."""
from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping

# Shorter values would mask ordinary words and digits all over the output.
MIN_SECRET_LEN = 3


class Redactor:
    def __init__(self, env: Mapping[str, str], patterns: Iterable[str]) -> None:
        pats = [p.upper() for p in patterns]
        pairs = {
            value: name
            for name, value in env.items()
            if len(value) >= MIN_SECRET_LEN and any(p in name.upper() for p in pats)
        }
        self._pairs = sorted(pairs.items(), key=lambda kv: -len(kv[0]))

    def __bool__(self) -> bool:
        return bool(self._pairs)

    def __call__(self, text: str) -> str:
        for value, name in self._pairs:
            if value in text:
                text = text.replace(value, f"<redacted:{name}>")
        return text
