"""`smoke run`: run the selected scenarios and report."""
from __future__ import annotations

import argparse

from smoke import cache
from smoke import history
from smoke import selection
from smoke.commands import common
from smoke.errors import SmokeError
from smoke.output import human_stream
from smoke.records import ExitCode
from smoke.selection import select


def cmd(args: argparse.Namespace) -> ExitCode:
    manifest = cache.load(args.manifest)
    selector = common.selector_from_args(args, manifest)
    if selector.empty:
        raise SmokeError("nothing selected", hint=common.nothing_selected_hint())
    selected = select(manifest.scenarios, selector)
    if args.shard:
        selected = selection.shard(selected, args.shard, history.durations(manifest))
    if not selected:
        stream = human_stream(args.json)
        stream.write("smoke: no scenario matches the selection; nothing to run\n")
        from smoke import report

        if args.json:
            print(report.dump_json([]))
        if args.junit:
            # CI that collects the report finds one, with no test case, rather than none.
            report.write_junit(args.junit, [], manifest, 0.0)
        return ExitCode.OK
    from smoke import session

    return session.execute(manifest, selected, common.run_options(args))
