"""Results history: one JSON line per scenario result, in the git directory.

`--shard` balances by the recorded durations and `smoke list --json` shows each
scenario's last status.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smoke import git
from smoke.files import atomic_write
from smoke.manifest import Manifest
from smoke.runner import Result

# Past this size the file is cut back to its newer half, so it never grows without bound.
MAX_BYTES = 4 * 1024 * 1024


def _path(manifest: Manifest) -> Path | None:
    base = git.private_dir(manifest.root)
    return base / "smoke" / "history.jsonl" if base else None


def append(manifest: Manifest, results: Sequence[Result], task: str | None) -> None:
    path = _path(manifest)
    if path is None or not results:
        return
    head = git.head_sha(manifest.root)
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    lines = "".join(
        json.dumps({
            "time": now, "name": r.name, "status": r.status, "duration_s": round(r.duration_s, 3),
            "commit": head, "task": task,
            # A reused pass did not run: --shard's balance must not learn its duration.
            **({"reused": True} if r.reused else {}),
        }) + "\n"
        for r in results
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write of whole lines with O_APPEND: concurrent runs interleave lines, never bytes.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, lines.encode())
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        _trim(path)


def _trim(path: Path) -> None:
    data = path.read_bytes()
    keep = data[len(data) // 2 :]
    keep = keep[keep.find(b"\n") + 1 :]
    atomic_write(path, keep, durable=False)


def last(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """The newest record of each scenario."""
    path = _path(manifest)
    if path is None or not path.is_file():
        return {}
    out: dict[str, dict[str, Any]] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                rec = json.loads(line)
                out[rec["name"]] = rec
            except (ValueError, KeyError, TypeError):
                continue
    return out


def durations(manifest: Manifest) -> dict[str, float]:
    return {
        name: float(rec["duration_s"])
        for name, rec in last(manifest).items()
        if isinstance(rec.get("duration_s"), (int, float)) and rec.get("status") != "skip" and not rec.get("reused")
    }
