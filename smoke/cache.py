"""A cache of the validated manifest, kept in the git directory.

A gate runs on every commit; parsing and validating a large manifest (and
importing the TOML parser) is most of what a gate with nothing at stake
costs. The cache is keyed by the manifest's exact bytes, so any edit misses
it; what lies outside the manifest (the scripts it names) is checked again
on every hit. `smoke check` never uses it.

It is stored with `marshal`: built into the interpreter, so there is nothing
to import, and the fastest reader there is; its file is per Python version.
"""
from __future__ import annotations

import marshal
import os
import sys
from pathlib import Path

from smoke import __version__
from smoke import git
from smoke import manifest as manifest_mod
from smoke.manifest import Manifest
from smoke.manifest import Scenario
from smoke.manifest import Settings
from smoke.records import Problem

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any

_FORMAT = 2
_TUPLE_FIELDS = ("owners", "paths", "requires", "tags", "exclusive", "inputs")


def _file(root: Path) -> Path | None:
    base = git.private_dir(root)
    return base / "smoke" / f"manifest-cache.py{sys.version_info[0]}{sys.version_info[1]}.marshal" if base else None


def _key(path: Path, root: Path, data: bytes) -> list[Any]:
    # The manifest's exact bytes: comparing them costs less than importing zlib
    # to checksum them. The validator's own file is in it too, so new rules (an
    # upgrade, or a change in a development checkout) always validate afresh.
    # expect.py too: validation parses JSON paths with it. Stat, not import: a no-op gate never loads it.
    here = os.path.dirname(manifest_mod.__file__)
    rules = [os.stat(os.path.join(here, name)) for name in ("manifest.py", "expect.py")]
    return [
        _FORMAT, __version__, *[(st.st_mtime_ns, st.st_size) for st in rules],
        str(path), str(root), data,
    ]


def read(path: Path, root: Path, data: bytes) -> Manifest | None:
    """The manifest as last validated, or None when the cache cannot vouch for it."""
    cache = _file(root)
    if cache is None:
        return None
    try:
        doc = marshal.loads(cache.read_bytes())
        if not isinstance(doc, dict) or doc.get("key") != _key(path, root, data):
            return None
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in doc["settings"].items()}
        settings = Settings(**values)
        scenarios = [_scenario(raw) for raw in doc["scenarios"]]
        manifest = Manifest(path, root, settings, scenarios, [], {}, dict(doc["script_lines"]))
    except (OSError, ValueError, TypeError, KeyError, AttributeError, EOFError):
        return None
    if not _scripts_still_fine(manifest):
        return None
    return manifest


def write(manifest: Manifest, data: bytes) -> None:
    """Best effort: a cache that cannot be written only costs speed."""
    cache = _file(manifest.root)
    if cache is None or _holds_secrets(manifest):
        return
    doc = {
        "key": _key(manifest.path, manifest.root, data),
        "settings": manifest.settings._asdict(),
        "scenarios": [s._asdict() for s in manifest.scenarios],
        "script_lines": manifest.script_lines,
    }
    try:
        blob = marshal.dumps(doc)
    except ValueError:
        return  # e.g. a TOML date in an expectation: marshal cannot hold it, so not cached
    from smoke.files import atomic_write  # only on a miss: the no-op gate never writes

    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(cache, blob, durable=False)
    except OSError:
        pass


def _holds_secrets(manifest: Manifest) -> bool:
    """A secret written into a scenario's env is not copied anywhere else."""
    patterns = [p.upper() for p in manifest.settings.secret_env_patterns]
    return any(any(p in name.upper() for p in patterns) for sc in manifest.scenarios for name, _ in sc.env)


def _scenario(raw: dict[str, Any]) -> Scenario:
    fields = dict(raw)
    for key in _TUPLE_FIELDS:
        fields[key] = tuple(fields[key])
    fields["env"] = tuple((k, v) for k, v in fields["env"])
    fields["expect"] = {k: tuple(v) if isinstance(v, list) else v for k, v in fields["expect"].items()}
    return Scenario(**fields)


def _scripts_still_fine(manifest: Manifest) -> bool:
    """Re-check what the manifest names outside itself: every script must stay
    inside the repository; missing ones become deferred errors as on a full load."""
    places = manifest_mod.ScriptPlaces(manifest.dir, manifest.root)
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
