"""Reuse of passed results: a scenario that passed against exactly the same
inputs is not run again (SPEC, "Reuse of results").

A record is one small file, `<git common dir>/smoke/reuse/<key>`, written
after a plain pass. The key is a SHA-256 of everything the verdict could
depend on that smoke can see:

- the scenario's definition (every key that changes how it runs or is judged;
  not its place in the file, description, owners, paths, tags or proof),
  and the settings that shape a run (default timeout, grace, build command);
- the bytes of its script and of every file in the manifest's folder (helpers);
- the build ($SMOKE_BUILD_DIR's key), when there is one;
- the content of the whole work tree as git sees it (tracked and untracked,
  not ignored), or, when the scenario declares `inputs`, of the files those
  globs match only.

The record holds when it was written; past `settings.reuse_seconds` it is
stale. Only passes are recorded: never a failure, a skip, a flaky pass or a
pass that left processes behind. Never reused: scenarios with `requires` on
an endpoint (the endpoint is not in the key), `reuse = false`, and any run
with `--no-reuse`.

Trust: records live in the git directory, which anything running as the user
can write, so a record proves nothing about who wrote it. When the caller is
an agent, reuse is off altogether: its gate runs every selected scenario and
writes no record either. See docs/reliability.md, "Reuse and trust".
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

from smoke import __version__
from smoke import files
from smoke import git
from smoke.manifest import Manifest
from smoke.manifest import Scenario

_FORMAT = b"smoke-reuse-1"
# What a scenario's verdict does not depend on: left out of its key.
_NOT_IN_KEY = ("index", "line", "description", "owners", "paths", "tags", "proven_against", "proven")
_PRUNE_EVERY = 64  # writes between sweeps of stale records


def eligible(sc: Scenario) -> bool:
    """May this scenario's pass ever be reused? Not with reuse = false or an endpoint it needs."""
    return sc.reuse and not any(not r.startswith("cmd:") for r in sc.requires)


class Reuse:
    """Looks up and writes reuse records for one run, in the tree at `root`."""

    def __init__(self, manifest: Manifest, root: Path, build_key: str | None) -> None:
        self.manifest = manifest
        self.root = root
        self.build_key = build_key or ""
        self.max_age = float(manifest.settings.reuse_seconds)
        base = git.private_dir(manifest.root)
        self.dir = base / "smoke" / "reuse" if base is not None else None
        self._lock = threading.Lock()
        self._tree: str | None = None  # the whole tree's digest, computed once
        self._files: list[str] | None = None  # tracked and untracked (not ignored) files
        self._states: dict[str, bytes] = {}
        self._keys: dict[str, str | None] = {}

    @property
    def enabled(self) -> bool:
        return self.dir is not None and self.max_age > 0

    # ------------------------------------------------------------ the key

    def prepare(self, scenarios: list[Scenario]) -> None:
        """Compute every key before any scenario runs: the tree is read as it was given to the run."""
        for sc in scenarios:
            if eligible(sc):
                self._keys[sc.name] = self._key(sc)

    def _key(self, sc: Scenario) -> str | None:
        """None when the scenario cannot be keyed (a manifest outside the repository)."""
        rel_dir = self._rel(self.manifest.dir)
        if rel_dir is None:
            return None
        h = hashlib.sha256(_FORMAT + b"\0" + __version__.encode() + b"\0")
        definition = {k: v for k, v in sc._asdict().items() if k not in _NOT_IN_KEY}
        s = self.manifest.settings
        shape = {"default_timeout_seconds": s.default_timeout_seconds, "kill_grace_seconds": s.kill_grace_seconds,
                 "build": s.build, "build_key": self.build_key, "manifest": self._rel(self.manifest.path)}
        h.update(json.dumps([definition, shape], sort_keys=True, default=repr).encode())
        if sc.inputs:
            files = self._listing()
            suite = [f for f in files if rel_dir == "" or f.startswith(rel_dir + "/")]
            from pathspec import GitIgnoreSpec

            chosen = sorted({*suite, *GitIgnoreSpec.from_lines(sc.inputs).match_files(files)})
            for rel in chosen:
                h.update(b"\0" + rel.encode("utf-8", "surrogateescape") + b"\0" + self._state(rel))
        else:
            h.update(b"\0tree\0" + self._tree_digest().encode())
        if sc.script is not None:
            # Also when the script lies outside the tree's listing (ignored, say).
            h.update(b"\0script\0" + self._state_at(self.manifest.dir / sc.script))
        return h.hexdigest()

    def _rel(self, path: Path) -> str | None:
        try:
            rel = Path(os.path.normpath(path)).relative_to(os.path.normpath(self.root)).as_posix()
        except ValueError:
            return None
        return "" if rel == "." else rel

    def _tree_digest(self) -> str:
        with self._lock:
            if self._tree is None:
                self._tree = git.tree_digest(self.root)
            return self._tree

    def _listing(self) -> list[str]:
        with self._lock:
            if self._files is None:
                self._files = git.tree_files(self.root)
            return self._files

    def _state(self, rel: str) -> bytes:
        with self._lock:
            known = self._states.get(rel)
        if known is None:
            known = self._state_at(self.root / rel)
            with self._lock:
                self._states[rel] = known
        return known

    @staticmethod
    def _state_at(path: Path) -> bytes:
        return git.file_state(path)

    # ------------------------------------------------------------ records

    def lookup(self, sc: Scenario) -> float | None:
        """How many seconds ago this scenario passed against the same inputs; None to run it."""
        key = self._keys.get(sc.name)
        if not self.enabled or key is None or self.dir is None:
            return None
        try:
            doc = json.loads((self.dir / key).read_bytes())
            at = float(doc["at"])
            if doc.get("name") != sc.name:
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        age = time.time() - at
        if not 0 <= age <= self.max_age:
            return None  # stale, or written by a clock ahead of ours
        return age

    def record(self, sc: Scenario, duration_s: float) -> None:
        """Best effort: a record that cannot be written only costs a rerun."""
        key = self._keys.get(sc.name)
        if not self.enabled or key is None or self.dir is None:
            return
        body = json.dumps({"name": sc.name, "at": time.time(), "duration_s": round(duration_s, 3)}).encode()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            files.atomic_write(self.dir / key, body, durable=False)
        except OSError:
            return
        if int.from_bytes(os.urandom(1), "big") % _PRUNE_EVERY == 0:
            self.prune()

    def prune(self) -> None:
        """Remove records past their age, so the folder never grows without bound."""
        if self.dir is None:
            return
        cutoff = time.time() - max(self.max_age, 60.0)
        try:
            entries = list(os.scandir(self.dir))
        except OSError:
            return
        for entry in entries:
            try:
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
            except OSError:
                pass


def ago(seconds: float) -> str:
    """`12s`, `3m`, `2h`: how a reused pass says when it passed."""
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds // 3600)}h"

