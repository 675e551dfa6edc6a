"""Changes no scenario guards: `settings.unguarded` decides whether they warn, block, or run everything.

A change is unguarded when a file it touches matches no scenario's `paths` and
the task owns no scenario. The manifest and its scenarios folder are left out:
`smoke check` and grow-only guard them.
"""
from __future__ import annotations

import posixpath
from collections.abc import Iterable

from smoke import pathstr
from smoke.manifest import Manifest
from smoke.selection import guarded

SHOWN = 10  # files named in a message; the rest are counted


def files(manifest: Manifest, paths: Iterable[str], owners: Iterable[str] = ()) -> list[str]:
    """Those of `paths` no scenario guards; none when one of `owners` owns a scenario."""
    owners = set(owners)
    if owners and any(owners & set(s.owners) for s in manifest.scenarios):
        return []
    own = _suite_paths(manifest)
    candidates = sorted({p for p in paths if p not in own[0] and not p.startswith(own[1])})
    if not candidates:
        return []
    covered = guarded(manifest.scenarios, candidates)
    return [p for p in candidates if p not in covered]


def _suite_paths(manifest: Manifest) -> tuple[set[str], str]:
    # manifest.path.absolute().relative_to(manifest.root.absolute()).as_posix(), without pathlib.
    rel = pathstr.relative_to(pathstr.absolute(manifest.path_str), pathstr.absolute(manifest.root_str))
    if rel is None:  # relative_to's ValueError
        return set(), "\0"
    folder = posixpath.join(posixpath.dirname(rel), "scenarios") + "/"
    return {rel}, folder


def named(found: list[str]) -> str:
    more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return ", ".join(found[:SHOWN]) + more


def add_hint(task: str | None) -> str:
    return f"smoke add NAME --owner {task or 'T'} --path 'GLOB' --run CMD --contains TEXT"
