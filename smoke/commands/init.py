"""`smoke init`: a manifest, a scenarios folder with shell helpers, and the agents' instructions.

Idempotent by construction: a file that exists is never overwritten, and in
AGENTS.md / CLAUDE.md only the block between the smoke-gate markers is ours.
"""
from __future__ import annotations

import argparse
import os
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from smoke import git
from smoke import scaffold
from smoke.errors import SmokeError
from smoke.manifest import DEFAULT_REL_PATH
from smoke.output import Out
from smoke.records import ExitCode

AGENT_FILES = ("AGENTS.md", "CLAUDE.md")
HELPERS = "helpers.sh"


def cmd(args: argparse.Namespace) -> ExitCode:
    root = _repo_root()
    manifest = _manifest_path(args.manifest, root)
    scenarios = manifest.parent / "scenarios"
    out = Out(color=args.color)
    out.line(out.paint(f"smoke init: preset '{args.preset}' in {root}", "title"))
    manifest_text = (_template("manifest_header.toml") + _template(args.preset, "manifest.toml")).replace(
        "{{scenarios}}", _rel(scenarios, root)
    )
    if not manifest.exists():
        # Scripts first, manifest last: a manifest never names a script that was not written.
        for name, text in _preset_scripts(args.preset):
            _show(out, scaffold.create(scenarios / name, text, executable=text.startswith("#!")), scenarios / name, root)
    _show(out, scaffold.create(scenarios / HELPERS, _template(HELPERS)), scenarios / HELPERS, root)
    made = scaffold.create(manifest, manifest_text)
    _show(out, made, manifest, root)
    if made == "kept" and scaffold.read(manifest) != manifest_text:
        out.line(out.paint(
            f"  note: {_rel(manifest, root)} already exists, so the '{args.preset}' preset's scenarios were not added; "
            "add scenarios with 'smoke add', or move it away and re-run 'smoke init'", "warn"))
    block = _template("agents_block.md").replace("{{manifest}}", _rel(manifest, root))
    for path in _agent_files(root):
        _show(out, scaffold.update_block(path, block), path, root, block=True)
    _next_steps(out, args.preset, root)
    return ExitCode.OK


# ---------------------------------------------------------------- where


def _repo_root() -> Path:
    top = git.find_toplevel(Path.cwd())
    if top is None:
        raise SmokeError(
            "not inside a git repository",
            hint="run 'git init' first: smoke gates git commits, pushes and 'wg done'",
        )
    return top


def _manifest_path(explicit: str | None, root: Path) -> Path:
    """Where the other commands will look: --manifest, $SMOKE_MANIFEST, $WG_SMOKE_MANIFEST, the default."""
    value = explicit or os.environ.get("SMOKE_MANIFEST") or os.environ.get("WG_SMOKE_MANIFEST")
    path = (Path.cwd() / value).absolute() if value else root / DEFAULT_REL_PATH
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        raise SmokeError(
            f"manifest {path} is outside the repository {root}",
            hint="put it inside the repository, so that its scenarios are versioned with the code",
        ) from None
    if path.is_dir():
        raise SmokeError(f"manifest {path} is a folder", hint="give the path of a .toml file")
    return path


def _agent_files(root: Path) -> list[Path]:
    """Every agent instructions file the repository has (one, if it is a symlink to the other); else AGENTS.md."""
    found: dict[Path, Path] = {}
    for name in AGENT_FILES:
        path = root / name
        if path.is_file():
            found.setdefault(path.resolve(), path)
    return list(found.values()) or [root / AGENT_FILES[0]]


# ---------------------------------------------------------------- templates


def _templates() -> Traversable:
    return files("smoke") / "templates"


def _template(*parts: str) -> str:
    node = _templates()
    for part in parts:
        node = node / part
    return node.read_text(encoding="utf-8")


def _preset_scripts(preset: str) -> list[tuple[str, str]]:
    """(path under scenarios/, text) of every file the preset ships, sub-folders included."""
    found: list[tuple[str, str]] = []
    pending: list[tuple[str, Traversable]] = [("", _templates() / preset / "scenarios")]
    while pending:
        prefix, folder = pending.pop()
        for item in folder.iterdir():
            if item.is_dir():
                pending.append((f"{prefix}{item.name}/", item))
            elif item.is_file() and not item.name.startswith("."):
                found.append((prefix + item.name, item.read_text(encoding="utf-8")))
    return sorted(found)


# ---------------------------------------------------------------- report


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _show(out: Out, action: str, path: Path, root: Path, *, block: bool = False) -> None:
    if block:
        why = {"created": "with the smoke-gate block", "updated": "smoke-gate block replaced",
               "unchanged": "smoke-gate block already current", "kept": "exists; left as it is"}[action]
    else:
        why = {"kept": "exists; smoke init never overwrites a file"}.get(action, "")
    kind = {"created": "pass", "updated": "pass", "kept": "dim", "unchanged": "dim"}[action]
    out.line(f"  {out.paint(f'{action:<10}', kind)} {_rel(path, root)}" + (f" ({why})" if why else ""))


def _agent_step(root: Path) -> str:
    """`smoke install --agent ...` for the harnesses this repository already has configuration for."""
    from smoke.agents.harnesses import HARNESSES

    present = [h.name for h in HARNESSES.values() if (root / h.config).parent.exists()]
    return "smoke install " + " ".join(f"--agent {name}" for name in present or ["claude"])


def _next_steps(out: Out, preset: str, root: Path) -> None:
    steps = [
        ("smoke run --all", "run every scenario now"),
        ("smoke check --strict", "validate the manifest"),
        ("smoke install", "gate git commit and git push with native hooks"),
    ]
    if preset == "workgraph":
        steps.append(("smoke install --wg-shim DIR", "gate 'wg done' (put DIR first on PATH)"))
    steps.append((_agent_step(root), "refuse an agent's stop while a scenario fails (docs/agents.md)"))
    steps.append(("smoke add NAME --owner TASK", "append a scenario (--regression-of BAD to prove it)"))
    out.line("next:")
    width = max(30, *(len(c) for c, _ in steps))
    for command, why in steps:
        out.line(f"  {command:<{width}} {why}")
