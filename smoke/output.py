"""Terminal output: the only place that knows about colour and escape codes."""
from __future__ import annotations

import os
import sys

from smoke import pathstr

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import TextIO

_COLORS = {
    "pass": "GREEN", "flaky": "YELLOW", "skip": "YELLOW", "fail": "RED",
    "timeout": "RED", "error": "RED", "bold": "BRIGHT", "dim": "DIM", "warn": "YELLOW",
    "title": "CYAN",
}


def use_color(setting: str, stream: TextIO) -> bool:
    if setting == "always":
        return True
    if setting == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


class Out:
    """Writes lines to one stream, coloured when enabled."""

    def __init__(self, stream: TextIO | None = None, color: str = "auto") -> None:
        self.stream = stream or sys.stdout
        self.color = use_color(color, self.stream)
        self.isatty = self.stream.isatty()
        # A live, redrawn line needs a terminal that understands "erase line".
        self.live = self.isatty and os.environ.get("TERM") != "dumb"
        self._codes: dict[str, str] = {}
        if self.color:
            import colorama

            if sys.platform == "win32":
                colorama.just_fix_windows_console()
            for key, name in _COLORS.items():
                style = getattr(colorama.Style, name, None)
                self._codes[key] = style if style is not None else getattr(colorama.Fore, name)
            self._codes["reset"] = colorama.Style.RESET_ALL

    def paint(self, text: str, kind: str) -> str:
        if not self.color or kind not in self._codes:
            return text
        return f"{self._codes[kind]}{text}{self._codes['reset']}"

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def raw(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


# What a scenario prints must never drive the terminal showing the report: an
# escape sequence could erase its FAIL and draw a PASS in its place. C0 and C1
# controls (but newline and tab), DEL, the bidirectional overrides that
# reorder what is shown and the Unicode line breaks, each written as a visible escape instead.
_CONTROLS = {
    **{c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if c not in (0x09, 0x0A)},
    **{c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029)},
    0x1B: "\\e", 0x0D: "\\r", 0x08: "\\b",
}


def printable(text: str) -> str:
    """`text` with every control character made visible: safe to write to a terminal."""
    return text.translate(_CONTROLS)


def shown(path: str | os.PathLike[str]) -> str:
    """A path as the user should see it: relative to the current folder when under it."""
    # str(Path(path).absolute().relative_to(Path.cwd())), else str(path); without pathlib.
    relative = pathstr.relative_to(pathstr.absolute(path), os.getcwd())
    return relative if relative is not None else os.fspath(path)


def err(message: str) -> None:
    """A one-line message on stderr, for errors and warnings."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def human_stream(json_mode: bool) -> TextIO:
    """Where lines for people go: stderr when stdout carries one JSON object."""
    return sys.stderr if json_mode else sys.stdout
