"""Editing the manifest (`smoke add`): append one scenario, every existing byte kept.

Only the new entry is rendered (with tomlkit, lazily imported) and its text is
appended to the file's bytes: re-serialising a 2,000-scenario document with
tomlkit takes seconds and risks reformatting it. The result is validated with
the fast stdlib parser before it replaces the file, under a lock, through a
temporary file and a rename, so a reader never sees half a file and two
concurrent adds never lose one another.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from smoke import git
from smoke.errors import ManifestError
from smoke.errors import SmokeError
from smoke.files import atomic_write
from smoke.manifest import Manifest
from smoke.manifest import Scenario
from smoke.manifest import load_path
from smoke.records import Problem

SCENARIOS_DIR = "scenarios"
HELPERS = f"{SCENARIOS_DIR}/helpers.sh"
NOT_WRITTEN = "not written yet"

SCAFFOLD = """\
#!/usr/bin/env bash
# Scenario {name}: {description}
# Owners: {owners}
#
# Write the repro here: run the real program against the real thing and print
# what [scenario.expect] in the manifest asserts. Exit 77 (with the reason on
# stderr) when a precondition is missing; that is a loud SKIP, never a pass.
set -euo pipefail
SMOKE_MANIFEST_DIR="${{SMOKE_MANIFEST_DIR:-$(cd "$(dirname "$0")/.." && pwd)}}"
# The shared helpers, when `smoke init` created them.
if [ -f "$SMOKE_MANIFEST_DIR/{helpers}" ]; then
    . "$SMOKE_MANIFEST_DIR/{helpers}"
fi

echo "scenario '{name}' is {not_written}: write the repro in $0" >&2
exit 1
"""


@dataclasses.dataclass(frozen=True)
class Entry:
    """One scenario as `smoke add` writes it."""

    name: str
    owners: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    run: str | None = None
    script: str | None = None
    description: str | None = None
    timeout_seconds: float | None = None
    requires: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    matches: tuple[str, ...] = ()
    proven_against: str | None = None
    proven: bool | None = None
    exit_code: int | None = None  # written by --record
    stdout_equals: str | None = None  # written by --record


@dataclasses.dataclass(frozen=True)
class Added:
    manifest: Manifest
    scenario: Scenario
    script_path: Path | None  # the scaffold, when one was written
    script_existed: bool  # the scaffold path was already there and is used as is


# ---------------------------------------------------------------- rendering


def render(entry: Entry) -> str:
    """The TOML text of one [[scenario]] (and its [scenario.expect])."""
    import tomlkit

    table = tomlkit.table()
    table["name"] = entry.name
    if entry.script is not None:
        table["script"] = entry.script
    if entry.run is not None:
        table["run"] = entry.run
    for key, values in (("owners", entry.owners), ("paths", entry.paths)):
        if values:
            table[key] = list(values)
    if entry.description:
        table["description"] = entry.description
    if entry.timeout_seconds is not None:
        t = entry.timeout_seconds
        table["timeout_seconds"] = int(t) if float(t).is_integer() else t
    for key, values in (("requires", entry.requires), ("tags", entry.tags)):
        if values:
            table[key] = list(values)
    if entry.proven_against is not None:
        table["proven_against"] = entry.proven_against
    if entry.proven is not None:
        table["proven"] = entry.proven
    expect = tomlkit.table()
    if entry.exit_code is not None:
        expect["exit_code"] = entry.exit_code
    if entry.stdout_equals is not None:
        expect["stdout_equals"] = _block_string(entry.stdout_equals)
    if entry.contains:
        expect["stdout_contains"] = list(entry.contains)
    if entry.matches:
        expect["stdout_matches"] = [_regex_string(p) for p in entry.matches]
    if expect:
        table["expect"] = expect
    aot = tomlkit.aot()
    aot.append(table)
    doc = tomlkit.document()
    doc["scenario"] = aot
    return tomlkit.dumps(doc)


def _regex_string(pattern: str) -> Any:
    import tomlkit

    # A literal string keeps a regex readable ('\d+' rather than "\\d+").
    if "'" in pattern or any(ord(c) < 32 or ord(c) == 127 for c in pattern):
        return pattern
    return tomlkit.string(pattern, literal=True)


def _block_string(text: str) -> Any:
    import tomlkit

    # A multi-line string, one output line per manifest line: TOML drops the
    # newline right after the opening quotes, so the text starts on the next line.
    return tomlkit.string(text, multiline=True)


def append_text(data: bytes, text: str) -> bytes:
    """`data` with `text` added after one blank line, in the file's own line endings."""
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    body = text.replace("\n", newline.decode()).encode("utf-8")
    if not data.strip():
        return data + body if not data or data.endswith(b"\n") else data + newline + body
    if not data.endswith(b"\n"):
        data += newline
    if not data.endswith(newline + newline):
        data += newline
    return data + body


# ---------------------------------------------------------------- validating


def candidate(path: Path, root: Path, entry: Entry, data: bytes | None = None) -> tuple[bytes, Manifest, Scenario]:
    """The would-be file, validated, and the new scenario as the runner will see it."""
    if data is None:
        data = _read(path)
    new = append_text(data, render(entry))
    try:
        manifest = load_path(path, root, data=new)
    except ManifestError as e:
        raise _explain(path, root, data, entry, e) from None
    scenario = manifest.by_name().get(entry.name)
    if scenario is None or scenario.index != len(manifest.scenarios) - 1:
        raise SmokeError(f"the new scenario '{entry.name}' did not come out last; nothing was written")
    _same(entry, scenario)
    return new, manifest, scenario


def _same(entry: Entry, sc: Scenario) -> None:
    """Guard against a rendering that does not read back as what was asked for."""
    wanted = (
        entry.run, entry.script, entry.owners, entry.paths, entry.contains, entry.matches,
        (entry.exit_code,) if entry.exit_code is not None else None, entry.stdout_equals,
    )
    got = (
        sc.run, sc.script, sc.owners, sc.paths,
        tuple(sc.expect.get("stdout_contains", ())), tuple(sc.expect.get("stdout_matches", ())),
        sc.expect.get("exit_code"), sc.expect.get("stdout_equals"),
    )
    if wanted != got:
        raise SmokeError(f"scenario '{entry.name}' would not read back as given; nothing was written")


def _explain(path: Path, root: Path, old: bytes, entry: Entry, error: ManifestError) -> SmokeError:
    try:
        before = load_path(path, root, data=old)
    except ManifestError as e:
        return ManifestError([
            *e.problems,
            Problem(None, None, f"the manifest already has {len(e.problems)} problem(s); fix them first"
                    " (smoke check lists them); nothing was written"),
        ])
    existing = before.by_name().get(entry.name)
    if existing is not None:
        return SmokeError(
            f"scenario '{entry.name}' already exists; nothing was written",
            path=before.display(), line=existing.line,
            hint="pick another name: names are permanent, and a regression gets its own scenario",
        )
    reasons = "; ".join(p.what() for p in error.problems)
    return SmokeError(f"the new scenario '{entry.name}' would not validate: {reasons}; nothing was written")


# ---------------------------------------------------------------- writing


def add(path: Path, root: Path, entry: Entry, scaffold: bool) -> Added:
    """Append `entry` under the manifest's lock; with `scaffold`, also write its script."""
    with locked(path, root):
        new, manifest, scenario = candidate(path, root, entry)
        script_path: Path | None = None
        existed = False
        if scaffold:
            assert entry.script is not None
            script_path = path.parent / entry.script
            existed = not _write_scaffold(script_path, entry)
        try:
            atomic_write(path.resolve(), new)  # through a symlink, keep the link
        except BaseException:
            if script_path is not None and not existed:
                script_path.unlink(missing_ok=True)
            raise
    return Added(manifest, scenario, script_path, existed)


def scaffold_script(name: str) -> str:
    return f"{SCENARIOS_DIR}/{name}.sh"


def _write_scaffold(path: Path, entry: Entry) -> bool:
    """Create the failing placeholder; False when a file is already there (it is kept)."""
    text = SCAFFOLD.format(
        name=entry.name,
        description=(entry.description or "(no description)").replace("\n", " "),
        owners=", ".join(entry.owners) or "(none)",
        helpers=HELPERS,
        not_written=NOT_WRITTEN,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755)
    except FileExistsError:
        if not path.is_file():
            raise SmokeError(f"{path} exists and is not a file", hint="move it away, or pass --script") from None
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return True


@contextlib.contextmanager
def locked(path: Path, root: Path) -> Iterator[None]:
    """An exclusive lock for editing this manifest (the file itself is replaced, so it cannot be the lock)."""
    import fcntl

    lock = _lock_path(path, root)
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _lock_path(path: Path, root: Path) -> Path:
    key = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    base = git.private_dir(root)
    if base is not None:
        return base / "smoke" / "locks" / f"manifest-{key}.lock"
    return Path(tempfile.gettempdir()) / f"smoke-locks-{os.getuid()}" / f"manifest-{key}.lock"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise SmokeError(f"cannot read manifest: {e.strerror}", path=str(path)) from None
