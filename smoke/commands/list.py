"""`smoke list`: what would run and why, without running anything."""
from __future__ import annotations

import argparse
import json

from smoke import manifest as manifest_mod
from smoke.commands import common
from smoke.output import Out
from smoke.records import ExitCode
from smoke.selection import select
from smoke.selection import selection_json


def cmd(args: argparse.Namespace) -> ExitCode:
    manifest = manifest_mod.load(args.manifest, cached=True)
    selector = common.selector_from_args(args, manifest)
    if selector.empty:
        selector = type(selector)(all=True)
    selected = select(manifest.scenarios, selector)
    if args.shard:
        from smoke import history

        selected = common.shard(selected, args.shard, history.durations(manifest))
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
