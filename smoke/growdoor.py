"""Grow-only at a door: which sides to compare (the base, the index, each pushed ref), what each
comparison shows with file and line, and the refusal or a human's audited override.

The comparisons themselves are pure (smoke.growonly); what a push compares is
smoke.pushrange's; whether a human may shrink the suite is smoke.policy's.
`smoke check --grow-only` and `wg done` (smoke.doors) both end here.
"""
from __future__ import annotations

import os
import posixpath
import re
import sys
from pathlib import Path
from typing import Any

from smoke import git
from smoke import growonly
from smoke import manifest as manifest_mod
from smoke import output
from smoke import pushrange
from smoke.errors import ManifestError
from smoke.errors import SmokeError
from smoke.manifest import LineMap
from smoke.output import Out
from smoke.pushrange import Side
from smoke.records import ExitCode


def check(
    out: Out, manifest: str | None, *, base: str | None, staged: bool, stage: str | None, remote: str | None,
) -> ExitCode:
    """`smoke check --grow-only`: compare each side (the base, the index, each pushed ref) and decide."""
    path, root, missing = _target(manifest)
    rel = _relative(path, root)
    sides, pushing = _sides(out, root, rel, base, staged, stage, remote)
    shown: list[str] = []
    docs: list[dict[str, Any]] = []
    for side in sides:
        compared = _compare(out, side, path, root, rel, missing, staged)
        if compared is None:
            return ExitCode.USAGE
        shown.extend(compared[0])
        docs.extend(compared[1])
    if not shown:
        return ExitCode.OK
    since = "in the push" if pushing else f"since {_short(sides[0].base)}"
    door = "pre-push" if pushing else "pre-commit" if staged else None
    return _override(out, root, path, docs, shown, since, door)


def guard_work_tree(
    out: Out, path: Path, root: Path, stage: str, task: str | None, bases: list[str] | None = None,
) -> ExitCode:
    """The work tree's manifest and scripts against each of `bases` (default HEAD), worded as `smoke check --grow-only` words it.

    0 when nothing shrank (or a human overrode it), 1 when refused, 2 when the
    manifest does not parse. For doors with no grow-only step of their own (`wg done`).
    """
    rel = _relative(path, root)
    shown: list[str] = []
    docs: list[dict[str, Any]] = []
    for base in bases or ["HEAD"]:
        compared = _compare(out, Side(base), path, root, rel, None, staged=False)
        if compared is None:
            return ExitCode.USAGE
        shown.extend(line for line in compared[0] if line not in shown)
        docs.extend(compared[1])
    if not shown:
        return ExitCode.OK
    since = " and ".join(f"since {_short(b)}" if b == "HEAD" else f"since the fork from the base branch ({_short(b)})" for b in bases or ["HEAD"])
    return _override(out, root, path, docs, shown, since, stage, task)


def _sides(
    out: Out, root: Path, rel: str, base: str | None, staged: bool, stage: str | None, remote: str | None,
) -> tuple[list[Side], bool]:
    """What to compare (the base, and where the current manifest is read), and whether it is a push."""
    if base:
        return [Side(base, explicit=True)], False
    push = pushrange.pre_commit_push(root)
    # git sets GIT_INDEX_FILE for a commit's hooks: then what is staged is compared too,
    # whatever push the environment describes.
    committing = [Side("HEAD")] if staged and os.environ.get("GIT_INDEX_FILE") else []
    if push is not None and push.src and push.dst:
        # pre-commit's pushed range: what goes out is the content at its end, whatever the work tree or the index hold.
        label = os.environ.get("PRE_COMMIT_REMOTE_BRANCH") or _short(push.dst)
        return [Side(push.src, push.dst, label, explicit=True), *committing], True
    if push is not None:
        sides, notes = pushrange.pushed_sides(root, push.line, push.remote, rel)
        for note in notes:
            out.line(out.paint(f"smoke check --grow-only: note: {note}", "warn"))
        return [*sides, *committing], True
    ignored = pushrange.ignored_note()
    if ignored:
        out.line(out.paint(f"smoke check --grow-only: note: {ignored}", "warn"))
    if stage != "pre-push":
        return [Side("HEAD")], False
    sides, notes = pushrange.pushed_sides(root, pushrange.stdin_lines(), remote or "origin", rel)
    for note in notes:
        out.line(out.paint(f"smoke check --grow-only: note: {note}", "warn"))
    if not sides and not notes:
        out.line("smoke check --grow-only: no pushed commits to compare")
    return sides, True


def _compare(
    out: Out, side: Side, path: Path, root: Path, rel: str, missing: SmokeError | None, staged: bool,
) -> tuple[list[str], list[dict[str, Any]]] | None:
    """Print what one comparison found; return the violations as shown and both sides' documents.

    None when the current side does not parse (already said; exit 2).
    """
    ref = side.base
    pushed = f" in {side.label}" if side.tip is not None else ""
    current = _current_bytes(root, path, rel, side.tip, staged)
    base = _base_bytes(root, ref, rel, explicit=side.explicit)
    if base is None and current is None:
        if missing is not None and side.tip is None:
            raise missing
        now = pushed.strip() or "now"
        out.line(f"smoke check --grow-only: no manifest at {_short(ref)} or {now}; nothing to compare")
        return [], []
    display = output.shown(path) + (f" at {side.label}" if side.tip is not None else "")
    cur_doc = None
    if current is not None:
        try:
            cur_doc = manifest_mod.parse_toml(current, display)[1]
        except ManifestError as e:
            out.line(out.paint(f"{e.problems[0]} (nothing can be compared until it parses)", "error"))
            return None
    if base is None:
        out.line(f"smoke check --grow-only: {rel} is new since {_short(ref)}{pushed}; nothing to compare")
        return [], [cur_doc] if cur_doc is not None else []
    try:
        base_text, base_doc = manifest_mod.parse_toml(base, f"{rel} at {_short(ref)}")
    except ManifestError as e:
        out.line(out.paint(
            f"smoke check --grow-only: warning: {e.problems[0]}; nothing at the base to compare with", "warn"
        ))
        return [], [cur_doc] if cur_doc is not None else []
    docs = [base_doc] if cur_doc is None else [base_doc, cur_doc]
    base_files = growonly.at_ref(root, ref, rel, base_doc)
    now_files = growonly.still_there(root, base_files, rel, staged, ref=side.tip)
    violations = growonly.compare(base_doc, cur_doc, base_files, now_files)
    edits = _agent_edits(out, side, root, rel, base_doc, cur_doc, staged)
    edits_shown = [f"{display}: {edit} (an agent may not change what a kept scenario runs: add a new scenario,"
                   " or ask a person to make this change)" for edit in edits]
    unhooked = _harness_hooks_removed(root, side, staged)
    if not violations and not edits_shown and not unhooked:
        out.line(f"smoke check --grow-only: {display}: nothing removed or weakened since {_short(ref)}")
        return [], docs
    if side.tip is not None:
        out.line(out.paint(f"smoke check --grow-only: {side.label} ({_short(ref)}..{_short(side.tip)}):", "error"))
    shown = _show(violations, path, ref, base_text, current) if violations else []
    shown += edits_shown + unhooked
    for line in shown:
        out.line(out.paint(line, "error"))
    return shown, docs


def _agent_edits(
    out: Out, side: Side, root: Path, rel: str, base: dict[str, Any], current: dict[str, Any] | None, staged: bool,
) -> list[str]:
    """An agent's change to what a kept scenario runs (script, run, env, the script's content): refused like a
    weakening, with a loud line and an audit entry. A person may change them (a scenario may need fixing);
    an agent that rewrote `run` to `echo fine` would otherwise pass every door.
    """
    from smoke.agents import identity as agents

    found = agents.caller_agents(manifest_mod.own_bytes(root))
    if not found:
        return []
    mdir = posixpath.dirname(rel)
    scripts = sorted(set(growonly.scripts_of(base, mdir)) | set(growonly.scripts_of(current, mdir)))
    edits = growonly.edited(base, current, git.changed_paths(root, side.base, side.tip, staged, scripts), mdir)
    if not edits:
        return []
    from smoke import policy

    log = policy.audit(root, "scenario-edited", _task(root), "pre-push" if side.tip else "pre-commit" if staged else None,
                       "; ".join(edits), agent_env=found)
    bar = "!" * 79
    out.line(out.paint(bar, "warn"))
    out.line(out.paint(f"!!! an agent ({', '.join(found)} is set) changed what scenarios run:", "warn"))
    for edit in edits:
        out.line(out.paint(f"!!!   {edit}", "warn"))
    out.line(out.paint(f"!!! Refused, and recorded in the audit log: {log}", "warn"))
    out.line(out.paint(bar, "warn"))
    return edits


_HOOK_MARK = b"smoke agent-hook"


def _harness_hooks_removed(root: Path, side: Side, staged: bool) -> list[str]:
    """An agent harness's configuration that ran smoke-gate's hooks at the base and no longer does:
    from then on an agent would stop, and run any command, unchecked (red-team review)."""
    from smoke.agents.harnesses import HARNESSES

    if side.base == git.NULL_SHA or git.rev_parse(root, side.base) is None:
        return []
    configs = [h.config for h in HARNESSES.values()]
    # One git process says which of them the base has; usually none.
    present = set(git.run(root, "ls-tree", "--name-only", "-z", side.base, "--", *configs).split("\0")) - {""}
    gone = []
    for h in HARNESSES.values():
        if h.config not in present:
            continue
        before = git.blob_at(root, side.base, h.config)
        if before is None or _HOOK_MARK not in before:
            continue
        now = _current_bytes(root, root / h.config, h.config, side.tip, staged)
        if now is None or _HOOK_MARK not in now:
            gone.append(
                f"{h.config}: smoke-gate's {h.title} hooks were removed (an agent would stop unchecked;"
                f" restore them: smoke install --agent {h.name})"
            )
    return gone


def _current_bytes(root: Path, path: Path, rel: str, tip: str | None, staged: bool) -> bytes | None:
    # A symlinked manifest is compared by what it holds, wherever the link points.
    if tip is not None:
        return git.blob_at(root, tip, git.follow_links(root, tip, rel))
    if staged:
        return git.staged_blob(root, git.follow_links(root, None, rel))
    return path.read_bytes() if path.is_file() else None


def _target(manifest: str | None) -> tuple[Path, Path, SmokeError | None]:
    """The manifest's path even when it is gone (a deleted manifest is a violation, not a usage error)."""
    try:
        path = manifest_mod.locate(manifest)
        missing = None
    except SmokeError as e:
        missing = e
        given = manifest or os.environ.get("SMOKE_MANIFEST") or os.environ.get("WG_SMOKE_MANIFEST")
        if given:
            path = (Path.cwd() / given).absolute()
        else:
            top = git.find_toplevel(Path.cwd())
            if top is None:
                raise
            path = top / manifest_mod.DEFAULT_REL_PATH
            missing = None  # the default place: no manifest at either side is simply nothing to guard
    root = git.find_toplevel(path.parent)
    if root is None:
        raise SmokeError(f"{path} is not inside a git repository", hint="--grow-only compares with git history")
    return path, root, missing


def _relative(path: Path, root: Path) -> str:
    """Where the manifest sits in the repository: the link's own place when it is a symlink (git knows it there)."""
    try:
        return (path.absolute().parent.resolve() / path.name).relative_to(root.resolve()).as_posix()
    except ValueError:
        raise SmokeError(f"{path} is outside the repository {root}", hint="--grow-only compares with git history") from None


def _base_bytes(root: Path, ref: str, rel: str, explicit: bool) -> bytes | None:
    if ref == git.NULL_SHA:
        return None  # a new branch: nothing was there before
    if git.rev_parse(root, ref) is None:
        if explicit:
            raise SmokeError(f"unknown git ref '{ref}'", hint="use a branch, tag or commit that exists here (fetch it first?)")
        return None  # no commit yet
    return git.blob_at(root, ref, git.follow_links(root, ref, rel))


def _short(ref: str) -> str:
    return ref[:12] if re.fullmatch(r"[0-9a-f]{40}", ref) else ref


def _show(
    violations: list[growonly.Violation], path: Path, ref: str, base_text: str, current: bytes | None
) -> list[str]:
    display = output.shown(path)
    base_lines = LineMap(base_text)
    base_index = _indexes(base_text)
    cur_lines = LineMap(current.decode("utf-8")) if current is not None else None
    cur_index = _indexes(current.decode("utf-8")) if current is not None else {}
    shown = []
    for v in violations:
        if v.removed and v.scenario in base_index:
            line = base_lines.scenario(base_index[v.scenario])
            shown.append(f"{display}: scenario '{v.scenario}' (line {line} at {_short(ref)}): {v.message}")
        elif v.scenario in cur_index and cur_lines is not None:
            line = cur_lines.key(cur_index[v.scenario], v.key or "")
            shown.append(f"{display}:{line}: {v}")
        elif v.scenario is None and v.key and v.key.startswith("settings.") and cur_lines is not None:
            key = v.key[len("settings."):]
            line = cur_lines.settings_keys.get(key) or cur_lines.settings_line or 1
            shown.append(f"{display}:{line}: {v}")
        else:
            shown.append(f"{display}: {v}")
    return shown


def _indexes(text: str) -> dict[str, int]:
    from smoke import tomlread

    try:
        raw = tomlread.loads(text).get("scenario", [])
    except tomlread.TOMLDecodeError:
        return {}
    found: dict[str, int] = {}
    if isinstance(raw, list):
        for i, sc in enumerate(raw):
            if isinstance(sc, dict) and isinstance(sc.get("name"), str):
                found.setdefault(sc["name"], i)
    return found


def _override(
    out: Out,
    root: Path,
    path: Path,
    docs: list[dict[str, Any]],
    shown: list[str],
    since: str,
    stage: str | None,
    task: str | None = None,
) -> ExitCode:
    """Refuse (1), unless a human set SMOKE_ALLOW_SHRINK=1: then warn loudly, audit, and allow (0). policy decides."""
    from smoke import policy

    decision = policy.allow_shrink(root, path, docs, len(shown), since)
    if not decision.allowed:
        out.line(out.paint(decision.message, "error"))
        return ExitCode.REFUSED
    policy.audit(root, "allow-shrink", task or _task(root), stage, "; ".join(shown), agent_env=decision.agent_env)
    sys.stderr.write(decision.message)
    return ExitCode.OK


def _task(root: Path) -> str | None:
    """The task being worked on, for the audit log; best effort (the manifest may be half-edited)."""
    from smoke import tasks

    try:
        return tasks.current_task(manifest_mod.load(None, cwd=root))
    except SmokeError:
        return os.environ.get("SMOKE_TASK") or os.environ.get("WG_TASK_ID")
