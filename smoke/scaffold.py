"""Writing what `smoke init` creates, idempotently: a file that exists is the user's and is kept,
and in an instructions file (AGENTS.md, CLAUDE.md) only the block between the smoke-gate markers is ours."""
from __future__ import annotations

from pathlib import Path

from smoke.errors import SmokeError
from smoke.files import atomic_write

BEGIN = "<!-- smoke-gate:begin -->"
END = "<!-- smoke-gate:end -->"


def create(path: Path, text: str, *, executable: bool = False) -> str:
    """Write a new file; a file that exists is the user's and is kept as it is."""
    if path.exists() or path.is_symlink():
        return "kept"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8", newline="") as f:
            f.write(text)
        if executable:
            path.chmod(path.stat().st_mode | 0o111)
    except FileExistsError:
        return "kept"
    except OSError as e:
        raise SmokeError(f"cannot write {path}: {e.strerror or e}", hint="check the folder's permissions") from None
    return "created"


def update_block(path: Path, block: str) -> str:
    """Put the smoke-gate block into an instructions file, touching nothing outside the markers."""
    if not path.exists():
        return create(path, block)
    text = read(path)
    new = replace_block(text, block, display=str(path))
    if new == text:
        return "unchanged"
    replace_file(path, new)
    return "updated"


def replace_block(text: str, block: str, *, display: str = "the file") -> str:
    """`text` with the marked block replaced by `block`, or `block` appended when there is none."""
    newline = "\r\n" if "\r\n" in text else "\n"
    block = block.rstrip("\n").replace("\r\n", "\n").replace("\n", newline) + newline
    lines = text.splitlines(keepends=True)
    begin = next((i for i, line in enumerate(lines) if line.strip().startswith(BEGIN[:-4])), None)
    if begin is None:
        if not text:
            return block
        gap = "" if text.endswith(newline * 2) else newline if text.endswith(("\n", "\r")) else newline * 2
        return text + gap + block
    end = next((i for i in range(begin + 1, len(lines)) if lines[i].strip().startswith(END[:-4])), None)
    if end is None:
        raise SmokeError(
            f"{display}:{begin + 1}: a '{BEGIN}' marker without a '{END}' after it",
            hint="restore the end marker (or delete the begin line) and re-run 'smoke init'",
        )
    return "".join(lines[:begin]) + block + "".join(lines[end + 1 :])


def read(path: Path) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except UnicodeDecodeError:
        raise SmokeError(f"{path} is not UTF-8 text", hint="save it as UTF-8, then re-run 'smoke init'") from None
    except OSError as e:
        raise SmokeError(f"cannot read {path}: {e.strerror or e}") from None


def replace_file(path: Path, text: str) -> None:
    # Written beside the real file and renamed over it: an interrupted init never leaves half a file.
    try:
        atomic_write(path.resolve(), text)
    except OSError as e:
        raise SmokeError(f"cannot write {path}: {e.strerror or e}", hint="check the file's permissions") from None
