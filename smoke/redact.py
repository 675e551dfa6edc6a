"""Secrets never leave the process: values of secret-named variables are masked.

Every text a report shows (output tails, failure details, reasons, leftover
command lines) goes through a Redactor after it is composed. Details may show
a value escaped (JSON, repr) or shortened with "...", so those forms are
masked too: a shortened secret is still a secret.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Mapping

# Shorter values would mask ordinary words and digits all over the output.
MIN_SECRET_LEN = 3
ELLIPSIS = "..."


def is_secret_name(name: str, patterns: Iterable[str]) -> bool:
    upper = name.upper()
    return any(p.upper() in upper for p in patterns)


def _forms(value: str) -> set[str]:
    """The value as written, and as JSON and Python escape it."""
    return {value, json.dumps(value)[1:-1], repr(value)[1:-1]}


class Redactor:
    def __init__(self, env: Mapping[str, str], patterns: Iterable[str]) -> None:
        pats = list(patterns)
        names: dict[str, str] = {}
        for name, value in env.items():
            if len(value) >= MIN_SECRET_LEN and is_secret_name(name, pats):
                for form in _forms(value):
                    names.setdefault(form, name)
        # Longest first, so a secret that contains another is masked whole.
        self._pairs = sorted(names.items(), key=lambda kv: -len(kv[0]))

    def __bool__(self) -> bool:
        return bool(self._pairs)

    def __call__(self, text: str) -> str:
        if not self._pairs or not text:
            return text
        for value, name in self._pairs:
            if value in text:
                text = text.replace(value, f"<redacted:{name}>")
        if ELLIPSIS in text:
            text = self._shortened(text)
        return text

    def _shortened(self, text: str) -> str:
        """Mask the start of a secret cut off by '...' (as in a shortened summary)."""
        out = []
        pos = 0
        while True:
            at = text.find(ELLIPSIS, pos)
            if at < 0:
                out.append(text[pos:])
                return "".join(out)
            head = text[pos:at]
            for value, name in self._pairs:
                cut = _cut_prefix(head, value)
                if cut:
                    head = head[:-cut] + f"<redacted:{name}>"
                    break
            out.append(head + ELLIPSIS)
            pos = at + len(ELLIPSIS)


def _cut_prefix(head: str, value: str) -> int:
    """Length of the longest start of `value` (at least MIN_SECRET_LEN) that `head` ends with."""
    for n in range(min(len(head), len(value) - 1), MIN_SECRET_LEN - 1, -1):
        if head.endswith(value[:n]):
            return n
    return 0
