"""Paths as str, spelled exactly as pathlib spells them: `str(Path(...))`, `.parent`, `.absolute()`,
`.relative_to()`, and `is_file()`/`is_dir()`/`is_symlink()` with pathlib's own errors.

Importing pathlib (with the re, fnmatch, urllib.parse and ipaddress it needs)
costs a gate with nothing at stake more than anything else it imports; the
no-op path works on these strings, and makes a Path only off that path.
tests/test_pathstr.py compares every function here with pathlib.
"""
from __future__ import annotations

import os
import stat

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    StrPath = str | os.PathLike[str]

# The errors pathlib's is_file(), is_dir() and is_symlink() answer False for (pathlib._IGNORED_ERRNOS): any other is raised.
_IGNORED = (2, 20, 9, 40)  # ENOENT, ENOTDIR, EBADF, ELOOP


def _anchor(text: str) -> str:
    """The root pathlib keeps: '//' for exactly two leading slashes (POSIX leaves them to the system), else '/' or ''."""
    if not text.startswith("/"):
        return ""
    return "//" if text.startswith("//") and not text.startswith("///") else "/"


def _parts(text: str) -> list[str]:
    return [p for p in text.split("/") if p and p != "."]


def norm(path: StrPath) -> str:
    """str(PurePosixPath(path)): '.' parts, doubled and trailing slashes dropped; '..' kept."""
    text = os.fspath(path)
    joined = _anchor(text) + "/".join(_parts(text))
    return joined or "."


def join(base: StrPath, *more: str) -> str:
    """str(Path(base) / more[0] / ...): an absolute part starts afresh."""
    text = norm(base)
    for part in more:
        if part.startswith("/"):
            text = norm(part)
        elif text == ".":
            text = norm(part)
        else:
            text = norm(text + part if text.endswith("/") else f"{text}/{part}")  # after '/' or '//', no slash added
    return text


def absolute(path: StrPath) -> str:
    """str(Path(path).absolute())."""
    text = os.fspath(path)
    return norm(text) if text.startswith("/") else join(os.getcwd(), text)


def parent(path: StrPath) -> str:
    """str(Path(path).parent)."""
    text = os.fspath(path)
    anchor, parts = _anchor(text), _parts(text)
    return (anchor + "/".join(parts[:-1])) or "."


def name(path: StrPath) -> str:
    """Path(path).name."""
    parts = _parts(os.fspath(path))
    return parts[-1] if parts else ""


def relative_to(path: StrPath, base: StrPath) -> str | None:
    """str(Path(path).relative_to(base)), or None where it raises ValueError."""
    text, other = os.fspath(path), os.fspath(base)
    if _anchor(text) != _anchor(other):
        return None
    parts, prefix = _parts(text), _parts(other)
    if parts[: len(prefix)] != prefix:
        return None
    return "/".join(parts[len(prefix):]) or "."


def _mode(path: StrPath, follow: bool = True) -> int | None:
    """The st_mode pathlib's checks read, or None where they answer False; other errors raised as they are."""
    try:
        return os.stat(path, follow_symlinks=follow).st_mode
    except OSError as e:
        if e.errno not in _IGNORED:
            raise
        return None
    except ValueError:  # a NUL in the path
        return None


def is_file(path: StrPath) -> bool:
    """Path(path).is_file()."""
    mode = _mode(path)
    return mode is not None and stat.S_ISREG(mode)


def is_dir(path: StrPath) -> bool:
    """Path(path).is_dir()."""
    mode = _mode(path)
    return mode is not None and stat.S_ISDIR(mode)


def is_symlink(path: StrPath) -> bool:
    """Path(path).is_symlink()."""
    mode = _mode(path, follow=False)
    return mode is not None and stat.S_ISLNK(mode)
