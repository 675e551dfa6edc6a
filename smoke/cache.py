"""A cache of the validated manifest, kept in the git directory.

A gate runs on every commit; parsing and validating a large manifest (and
importing the TOML parser) is most of what a gate with nothing at stake
costs. The cache is keyed by the manifest's exact bytes, so any edit misses
it; what lies outside the manifest (the scripts it names) is checked again
on every hit. `smoke check` never uses it.

Loading through the cache (load, load_path) lives here, above the
validator: smoke.manifest knows nothing of its cache.

It is stored with `marshal`: built into the interpreter, so there is nothing
to import, and the fastest reader there is; its file is per Python version.
"""
from __future__ import annotations

import marshal
import os
import sys

from smoke import __version__
from smoke import git
from smoke import manifest as manifest_mod
from smoke import pathstr
from smoke.agents import identity as agents
from smoke.manifest import Manifest
from smoke.manifest import Scenario
from smoke.manifest import Settings
from smoke.records import Problem

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any

    from smoke.pathstr import StrPath

_FORMAT = 3
# The validator and every smoke module it imports, at the top or inside a
# function (tests/test_layers.py keeps this list whole): a rule added in any of
# them changes the cache key.
VALIDITY_FILES = (
    "manifest.py", "expect.py", "records.py", "errors.py", "output.py", "git.py", "gitproc.py", "agents/identity.py",
    "agents/harnesses.py", "tomlread.py", "pathstr.py",
)


def _file(root: StrPath) -> str | None:
    base = git.private_dir_str(root)
    return pathstr.join(base, "smoke", f"manifest-cache.py{sys.version_info[0]}{sys.version_info[1]}.marshal") if base else None


def _key(path: StrPath, root: StrPath, data: bytes) -> list[Any]:
    # The manifest's exact bytes: comparing them costs less than importing zlib
    # to checksum them. Every file that decides validity is in it too, so new
    # rules (an upgrade, or a change in a development checkout) always validate
    # afresh. Stat, not import: a no-op gate never loads expect.py.
    here = os.path.dirname(manifest_mod.__file__)
    rules = [os.stat(os.path.join(here, name)) for name in VALIDITY_FILES]
    return [
        _FORMAT, __version__, *[(st.st_mtime_ns, st.st_size) for st in rules],
        pathstr.norm(path), pathstr.norm(root), data,  # str(path), str(root) as Path spells them
    ]


def load(explicit: str | None = None, *, cwd: StrPath | None = None) -> Manifest:
    """manifest.load, taking a manifest whose bytes were validated before from the cache."""
    path = manifest_mod.locate_str(explicit, cwd)
    return load_path(path, manifest_mod.gated_root_str(path, cwd))


def load_path(path: StrPath, root: StrPath, data: bytes | None = None) -> Manifest:
    """manifest.load_path, through the cache in the git directory."""
    if data is None:
        data = manifest_mod.read_bytes(path)
    # Nothing an agent could have written in the git directory decides its
    # gate: for an agent the manifest is always parsed and validated afresh.
    if agents.caller_agents(data):
        return manifest_mod.load_path(path, root, data)
    hit = read(path, root, data)
    if hit is not None:
        hit.source = data
        return hit
    manifest = manifest_mod.load_path(path, root, data)
    write(manifest, data)
    return manifest


def read(path: StrPath, root: StrPath, data: bytes) -> Manifest | None:
    """The manifest as last validated, or None when the cache cannot vouch for it."""
    cache = _file(root)
    if cache is None:
        return None
    try:
        with open(cache, "rb") as f:
            doc = marshal.loads(f.read())
        if not isinstance(doc, dict) or doc.get("key") != _key(path, root, data):
            return None
        # Kept as the records' own tuples (marshal keeps tuples and dicts as they were), rebuilt without a copy.
        settings = Settings._make(doc["settings"])
        make = Scenario._make
        scenarios = [make(row) for row in doc["scenarios"]]  # a row of another length: TypeError
        manifest = Manifest(path, root, settings, scenarios, [], {}, dict(doc["script_lines"]))
    except (OSError, ValueError, TypeError, KeyError, AttributeError, EOFError):
        return None
    if not _scripts_still_fine(manifest):
        return None
    return manifest


def write(manifest: Manifest, data: bytes) -> None:
    """Best effort: a cache that cannot be written only costs speed."""
    cache = _file(manifest.root_str)
    if cache is None or _holds_secrets(manifest):
        return
    doc = {
        "key": _key(manifest.path_str, manifest.root_str, data),
        "settings": tuple(manifest.settings),
        "scenarios": [tuple(s) for s in manifest.scenarios],
        "script_lines": manifest.script_lines,
    }
    try:
        blob = marshal.dumps(doc)
    except ValueError:
        return  # e.g. a TOML date in an expectation: marshal cannot hold it, so not cached
    from pathlib import Path

    from smoke.files import atomic_write  # only on a miss: the no-op gate never writes

    try:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(Path(cache), blob, durable=False)
    except OSError:
        pass


def _holds_secrets(manifest: Manifest) -> bool:
    """A secret written into a scenario's env is not copied anywhere else."""
    patterns = [p.upper() for p in manifest.settings.secret_env_patterns]
    return any(any(p in name.upper() for p in patterns) for sc in manifest.scenarios for name, _ in sc.env)


def _scripts_still_fine(manifest: Manifest) -> bool:
    """Re-check what the manifest names outside itself: every script must stay
    inside the repository; missing ones become deferred errors as on a full load."""
    places = manifest_mod.ScriptPlaces(manifest.dir_str, manifest.root_str)
    for sc in manifest.scenarios:
        if sc.script is None:
            continue
        try:
            full, inside, exists = places.find(sc.script)
            if not inside:
                return False  # a full validation will say why
        except (OSError, RuntimeError, ValueError):
            return False
        if not exists:
            line = manifest.script_lines.get(sc.name, sc.line)
            manifest.deferred[sc.name] = Problem(
                manifest.display(), line, f"{sc.script} does not exist", scenario=sc.name, key="script",
                hint=f"looked for {full}",
            )
    return True
