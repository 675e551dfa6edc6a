"""What a scenario prints: streamed to its log as it comes, capped on disk,
and held in memory only as far as its expectations need.

Output size is not memory. Each stream is read from a pipe in chunks:

- the log file keeps the first and the last `keep_output_bytes / 2` bytes
  (settings.keep_output_bytes, default 8 MiB per stream), with one marker line
  where the middle was cut; the report says so;
- the whole text is held only up to expect.HOLD_LIMIT (16 MiB). Past it the
  text is dropped, and the expectations that need all of it (stdout_equals,
  json, lines_in_order, *_matches) fail saying why; *_contains and
  *_not_contains are answered by a scan of every chunk, so they work on any
  size;
- the last lines, for the report, come from the kept tail.
"""
from __future__ import annotations

import collections
from pathlib import Path

from smoke.expect import HOLD_LIMIT
from smoke.expect import Scan

_LINE_SHOWN = 2000  # bytes of a matching line kept for the report


class Capture:
    """One stream of one scenario attempt."""

    def __init__(self, path: Path, keep_bytes: int, needles: tuple[str, ...] = (), hold_limit: int = HOLD_LIMIT) -> None:
        self.path = path
        self.size = 0
        self._file = open(path, "wb")  # noqa: SIM115 - closed in finish()
        self._head_left = keep_bytes // 2
        self._tail_max = keep_bytes - self._head_left
        self._tail: collections.deque[bytes] = collections.deque()
        self._tail_size = 0
        self._hold_limit = hold_limit
        self._held: list[bytes] | None = []
        self._needles = {n: n.encode("utf-8", "surrogateescape") for n in dict.fromkeys(needles) if n}
        self._found: dict[str, tuple[int, str] | None] = {n: None for n in self._needles}
        self._overlap = max((len(b) for b in self._needles.values()), default=1) - 1
        self._carry = b""
        self._lines = 0  # newlines in everything fed so far
        self.cut = 0

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        self._scan(chunk)
        if self._held is not None:
            if self.size <= self._hold_limit:
                self._held.append(chunk)
            else:
                self._held = None  # too large to judge whole: dropped, never grown
        head = chunk[: self._head_left]
        if head:
            self._file.write(head)
            self._head_left -= len(head)
        rest = chunk[len(head) :]
        if rest:
            self._tail.append(rest)
            self._tail_size += len(rest)
            while self._tail_size > self._tail_max:
                first = self._tail[0]
                drop = self._tail_size - self._tail_max
                if len(first) <= drop:
                    self._tail.popleft()
                    self._tail_size -= len(first)
                    self.cut += len(first)
                else:
                    self._tail[0] = first[drop:]
                    self._tail_size -= drop
                    self.cut += drop

    def _scan(self, chunk: bytes) -> None:
        pending = [n for n, hit in self._found.items() if hit is None]
        if not pending:
            return  # every text found: nothing more to look for
        window = self._carry + chunk
        before = self._lines - self._carry.count(b"\n")
        for needle in pending:
            at = window.find(self._needles[needle])
            if at >= 0:
                start = window.rfind(b"\n", 0, at) + 1
                end = window.find(b"\n", at)
                line = window[start : end if end >= 0 else len(window)][:_LINE_SHOWN]
                self._found[needle] = (before + window.count(b"\n", 0, at) + 1, line.decode("utf-8", "replace"))
        self._lines += chunk.count(b"\n")
        # Enough to find a text split across chunks, with the start of the line it begins on.
        self._carry = window[max(0, len(window) - self._overlap - _LINE_SHOWN) :]

    def finish(self) -> tuple[str, str, Scan | None]:
        """Close the log. (the text for the expectations, or "" when too large; the tail kept; the scan when too large)."""
        tail = b"".join(self._tail)
        try:
            if self.cut:
                self._file.write(
                    f"\n[... smoke cut {self.cut} bytes here: the stream printed {self.size} bytes;"
                    f" the log keeps the first and last {self._tail_max} (settings.keep_output_bytes) ...]\n".encode()
                )
            self._file.write(tail)
        finally:
            self._file.close()
        if self._held is not None:
            text = b"".join(self._held).decode("utf-8", "replace")
            return text, text, None
        shown = tail.decode("utf-8", "replace") if tail else ""
        return "", shown, Scan(self.size, dict(self._found))

    def abandon(self) -> None:
        if not self._file.closed:
            self._file.close()
