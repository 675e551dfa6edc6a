"""`smoke install`: native git hooks for commit and push, and optionally the `wg` shim and agent harness hooks."""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from smoke import git
from smoke import hooks
from smoke.agents import hookconfig
from smoke.agents.harnesses import HARNESSES
from smoke.errors import SmokeError
from smoke.hooks import Plan
from smoke.output import shown
from smoke.records import ExitCode


def cmd(args: argparse.Namespace) -> ExitCode:
    root = git.toplevel(Path.cwd())
    if root is None and not args.wg_shim:
        raise SmokeError("not inside a git repository", hint="run 'smoke install' in the repository to guard")
    plans: list[Plan] = []
    if root is not None:
        plans += _hook_plans(root, args.manifest)
    if args.wg_shim:
        shim_dir = Path(args.wg_shim).expanduser().absolute()
        plans.append(hooks.plan(shim_dir / hooks.SHIM_NAME, hooks.script(hooks.SHIM_NAME), hooks.SHIM_MARKER))
    _refuse_foreign(plans, args.force)
    agents = _agent_plans(root, args.agent, args.agent_timeout)  # every configuration read and merged before anything is written
    for p in plans:
        _say(_written(p, hooks.apply(p)))
    for a in agents:
        a.apply()
        _say(_agent_written(a))
    if root is None:
        _say("not inside a git repository: only the wg shim was installed")
    else:
        _note_manifest(args.manifest)
    if args.wg_shim:
        _note_path(Path(args.wg_shim).expanduser().absolute())
    return ExitCode.OK


def _agent_plans(root: Path | None, names: list[str], timeout: float | None) -> list[hookconfig.Planned]:
    if not names:
        if timeout is not None:
            raise SmokeError("--agent-timeout goes with --agent", hint="e.g. smoke install --agent claude --agent-timeout 120")
        return []
    if root is None:
        raise SmokeError("--agent needs a git repository", hint="run 'smoke install --agent ...' in the repository to guard")
    return [hookconfig.plan(HARNESSES[name], root, timeout) for name in dict.fromkeys(names)]


def _agent_written(a: hookconfig.Planned) -> str:
    where = shown(a.path)
    if not a.added:
        line = f"{a.harness.title} hooks already in {where} (left as they are; edit or remove them there to change them)"
    else:
        line = f"{a.harness.title} hooks {'written to' if a.old is None else 'added to'} {where}: {', '.join(a.added)}"
    return line + "".join(f"\nsmoke install: to do: {note}" for note in a.notes)


def _hook_plans(root: Path, manifest: str | None) -> list[Plan]:
    hooks_dir = git.hooks_dir(root)
    manifest_arg = _manifest_arg(manifest, root)
    # The Python running now is the one that has smoke-gate installed; the hook
    # uses it so a commit from a shell without the venv on PATH is still gated.
    python = sys.executable
    return [
        hooks.plan(hooks_dir / name, hooks.render_hook(name, python, manifest_arg), hooks.HOOK_MARKER)
        for name in hooks.HOOK_NAMES
    ]


def _manifest_arg(manifest: str | None, root: Path) -> str | None:
    """--manifest as the hooks will see it: relative to the top level, where git runs hooks."""
    if not manifest:
        return None
    path = Path(manifest).absolute()
    if not path.is_file():
        raise SmokeError(f"manifest {manifest} does not exist", hint="give the path of an existing manifest")
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _refuse_foreign(plans: list[Plan], force: bool) -> None:
    foreign = [p for p in plans if p.state == "foreign"]
    if not foreign or force:
        return
    names = ", ".join(shown(p.path) + (" (the pre-commit framework's)" if p.framework else "") for p in foreign)
    hint = "re-run with --force to replace it (a backup is kept)"
    if any(p.framework for p in foreign):
        hint += ", or add the smoke-gate hooks to .pre-commit-config.yaml instead (see docs/hooks.md)"
    raise SmokeError(f"will not overwrite {names}: not written by smoke-gate", hint=hint)


def _written(p: Plan, backup: Path | None) -> str:
    what = "the wg shim" if p.marker == hooks.SHIM_MARKER else f"{p.path.name} hook"
    if p.state == "same":
        return f"{what} already installed at {shown(p.path)}"
    if p.state == "ours":
        return f"{what} updated at {shown(p.path)}"
    if backup is not None:
        return f"{what} installed at {shown(p.path)}; the previous one was kept as {shown(backup)}"
    return f"{what} installed at {shown(p.path)}"


def _note_manifest(manifest: str | None) -> None:
    from smoke import manifest as manifest_mod

    try:
        manifest_mod.locate(manifest)
    except SmokeError as e:
        # Fail closed: the hooks refuse while there is no manifest, so say so now.
        _say(f"note: {e}; commits and pushes are refused until there is one ('smoke init')")


def _note_path(shim_dir: Path) -> None:
    found = shutil.which(hooks.SHIM_NAME)
    if found and Path(found).resolve().parent == shim_dir.resolve():
        return
    _say(f"note: put {shim_dir} first on PATH so 'wg' is the shim: export PATH=\"{shim_dir}{os.pathsep}$PATH\"")


def _say(message: str) -> None:
    print(f"smoke install: {message}")
