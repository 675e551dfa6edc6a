"""`smoke list`: what would run and why, without running anything."""
from __future__ import annotations

import argparse
import json

from smoke import cache
from smoke import manifest as manifest_mod
from smoke import selection
from smoke.commands import common
from smoke.output import Out
from smoke.records import ExitCode
from smoke.selection import select
from smoke.selection import selection_json


def cmd(args: argparse.Namespace) -> ExitCode:
    manifest = cache.load(args.manifest)
    if args.unguarded:
        return _unguarded(args, manifest)
    selector = common.selector_from_args(args, manifest)
    if selector.empty:
        selector = type(selector)(all=True)
    selected = select(manifest.scenarios, selector)
    if args.shard:
        from smoke import history

        selected = selection.shard(selected, args.shard, history.durations(manifest))
        for item in selected:
            item.reasons.append(f"shard: {args.shard}")
    if args.json:
        from smoke import history

        print(json.dumps(selection_json(selected, history.last(manifest)), indent=2))
        return ExitCode.OK
    out = Out(color=args.color)
    for item in selected:
        out.line(out.paint(item.scenario.name, "bold"))
        for why in item.reasons:
            out.line(f"  {why}")
    out.line(f"{len(selected)} of {len(manifest.scenarios)} scenario(s) selected")
    return ExitCode.OK


def _unguarded(args: argparse.Namespace, manifest: manifest_mod.Manifest) -> ExitCode:
    """--unguarded: the tracked files no scenario's `paths` guards, with their count and share."""
    from smoke import git
    from smoke import unguarded

    tracked = [p for p in git.run(manifest.root, "ls-files", "-z").split("\0") if p]
    found = unguarded.files(manifest, tracked)
    share = len(found) / len(tracked) if tracked else 0.0
    if args.json:
        print(json.dumps({"version": 1, "unguarded": found, "count": len(found), "tracked": len(tracked),
                          "share": round(share, 4)}, indent=2))
        return ExitCode.OK
    out = Out(color=args.color)
    for path in found:
        out.line(path)
    out.line(f"{len(found)} of {len(tracked)} tracked file(s) ({share:.0%}) guarded by no scenario's paths"
             " (the manifest and its scenarios folder are guarded by smoke check and grow-only)")
    return ExitCode.OK
