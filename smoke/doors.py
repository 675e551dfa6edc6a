"""The gate's doors: which work each one tests, in place or in a temporary checkout, and grow-only at `wg done`.

- the work tree as it is (`smoke gate`, `wg done`): what the task changed,
  after the work tree is held to HEAD's promises and those of the fork from
  `base_ref` (smoke.growdoor);
- the commit (pre-commit): in place when the work tree is the index, else in
  a snapshot of the index;
- the push (pre-push): each pushed commit (smoke.pushrange) with its own
  manifest, in place when it is exactly the work tree.

`smoke gate` (smoke.commands.gate) fills a GateOptions and calls gate(); the
command line goes no further. The run itself is smoke.session's.
"""
from __future__ import annotations

import functools
import os
import posixpath
import sys
from collections.abc import Callable

from smoke import cache
from smoke import git
from smoke import manifest as manifest_mod
from smoke import pathstr
from smoke import tasks
from smoke.errors import ManifestError
from smoke.errors import SmokeError
from smoke.git import Change
from smoke.manifest import Manifest
from smoke.output import Out
from smoke.output import human_stream
from smoke.records import ExitCode
from smoke.records import Problem
from smoke.records import RunOptions
from smoke.selection import Selector
from smoke.selection import select

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from smoke.pathstr import StrPath
    from smoke.pushrange import PushedCommit
    from smoke.runner import Result


class GateOptions:
    """What a door needs from `smoke gate`'s command line."""

    __slots__ = ("all", "color", "files", "json", "run", "stage")

    def __init__(
        self, *, stage: str | None, all: bool, files: tuple[str, ...], json: bool, color: str, run: RunOptions,
    ) -> None:
        self.stage = stage  # "pre-commit", "pre-push", "done", or None: the work tree as it is
        self.all = all  # every scenario, not only those guarding the work
        self.files = files  # named files, added to what the door finds changed
        self.json = json
        self.color = color
        self.run = run  # how the selection runs and is reported


def gate(opts: GateOptions, manifest: Manifest, task: str | None) -> ExitCode:
    """The door `opts.stage` names (None: the work tree as it is), for `task` when one is known."""
    status = None
    if opts.stage == "done":
        if not task:
            raise SmokeError("--stage done needs the task being finished", hint="pass --task T")
        status = git.full_status(manifest.root_str)  # asked once: for grow-only and for what the task changed
        code = _grow_only(opts, manifest, task, status)
        if code:
            return code
    if opts.stage == "pre-push":
        return _gate_push(opts, manifest, task)
    scope = f"task '{task}'" if task else "this change"
    selector, what = _selector(opts, manifest, task, status)
    if opts.stage == "pre-commit":
        return _gate_commit(opts, manifest, selector, what, scope)
    return _gate_here(opts, manifest, selector, what, scope)


def _nothing(opts: GateOptions, scope: str, report_json: bool = True) -> ExitCode:
    out = Out(human_stream(opts.json), opts.color)
    out.line(f"smoke gate: no scenario protects {scope}; nothing to run")
    if opts.json and report_json:
        from smoke import report

        print(report.dump_json([]))
    return ExitCode.OK


def _selector(
    opts: GateOptions, manifest: Manifest, task: str | None, status: list[tuple[str, str]] | None = None
) -> tuple[Selector, str]:
    owners = (task,) if task else ()
    if opts.all:
        return Selector(all=True), f"task '{task}'" if task else "the change"
    root = manifest.root_str
    if opts.stage == "pre-commit":
        # The index itself says what is staged, deleted files included; one
        # `git status` also tells _gate_commit whether the work tree differs.
        changes = [Change(f, "staged") for f in opts.files] + _staged(_commit_status(root))
        return Selector(owners=owners, changes=tuple(changes)), "the commit"
    if task:
        changes = tasks.task_changes(manifest, task, status)
        changes += [Change(f, "named") for f in opts.files]
        return Selector(owners=owners, changes=tuple(changes)), f"task '{task}'"
    changes = [Change(f, "named") for f in opts.files] if opts.files else git.uncommitted_files(root)
    return Selector(changes=tuple(changes)), "the change"


def _gate_here(
    opts: GateOptions,
    manifest: Manifest,
    selector: Selector,
    what: str,
    scope: str,
    on_json: Callable[[list[Result]], None] | None = None,
) -> ExitCode:
    """The work tree as it is, with its manifest."""
    selector, refused = _unguarded(opts, manifest, selector, what)
    if refused is not None:
        return refused
    return _run_here(opts, manifest, selector, what, scope, on_json)


def _run_here(
    opts: GateOptions,
    manifest: Manifest,
    selector: Selector,
    what: str,
    scope: str,
    on_json: Callable[[list[Result]], None] | None = None,
) -> ExitCode:
    """_gate_here, once _unguarded has had its say."""
    selected = select(manifest.scenarios, selector)
    if not selected:
        return _nothing(opts, scope, report_json=on_json is None)
    from smoke import session

    return session.execute(manifest, selected, opts.run, what=what, on_json=on_json)


def _unguarded(opts: GateOptions, manifest: Manifest, selector: Selector, what: str) -> tuple[Selector, ExitCode | None]:
    """Changed files no scenario guards, as `settings.unguarded` says: a loud line, a refusal (exit 1), or everything runs."""
    if selector.all or not selector.changes:
        return selector, None
    from smoke import unguarded

    found = unguarded.files(manifest, [c.path for c in selector.changes], selector.owners)
    if not found:
        return selector, None
    mode = manifest.settings.unguarded
    out = Out(human_stream(opts.json), opts.color)
    task = selector.owners[0] if selector.owners else None
    if mode == "all":
        out.line(out.paint(f"smoke gate: {len(found)} changed file(s) no scenario guards ({unguarded.named(found)}):"
                           " settings.unguarded = \"all\", so every scenario runs", "warn"))
        return Selector(all=True), None
    if mode == "block":
        out.line(out.paint(
            f"smoke gate refused {what}: {len(found)} changed file(s) no scenario guards: {unguarded.named(found)}."
            f" Add a scenario that guards them: {unguarded.add_hint(task)}", "error"))
        if opts.json:
            from smoke import report

            print(report.dump_json([]))
        return selector, ExitCode.REFUSED
    out.line(out.paint(f"smoke gate: WARNING: {len(found)} changed file(s) no scenario guards: {unguarded.named(found)}"
                       f" (guard them: {unguarded.add_hint(task)})", "warn"))
    return selector, None


class Tested:
    """Committed content the gate tests in a temporary checkout: a pushed commit, or a snapshot of the index."""

    def __init__(
        self, name: str, label: str, manifest: bytes | None, commit: Callable[[], str], prefix: str
    ) -> None:
        self.name = name  # for messages: "feature (1a2b3c4)", "what is staged"
        self.label = label  # how git names its files, shown in reports: "1a2b3c4:", or ":" for the index
        self.manifest = manifest  # read through git; None when it has none (or the manifest lies outside)
        self.commit = commit  # the commit to check out; called only once a scenario is selected
        self.prefix = prefix  # of the temporary folder


def _gate_checkout(
    opts: GateOptions,
    manifest: Manifest,
    selector: Selector,
    tested: Tested,
    what: str,
    scope: str,
    why: str,
    on_json: Callable[[list[Result]], None] | None = None,
) -> ExitCode:
    """`tested`, with its own manifest and scripts, in a temporary worktree removed afterwards."""
    selector, refused = _unguarded(opts, manifest, selector, what)
    if refused is not None:
        return refused
    return _run_checkout(opts, manifest, selector, tested, what, scope, why, on_json)


def _run_checkout(
    opts: GateOptions,
    manifest: Manifest,
    selector: Selector,
    tested: Tested,
    what: str,
    scope: str,
    why: str,
    on_json: Callable[[list[Result]], None] | None = None,
) -> ExitCode:
    """_gate_checkout, once _unguarded has had its say."""
    out = Out(human_stream(opts.json), opts.color)
    rel = _manifest_rel(manifest)
    data = tested.manifest if rel is not None else None
    if rel is not None and data is None:
        out.line(f"smoke gate: note: {tested.name} has no {rel}; using the current manifest's scenarios")
    if rel is None or data is None or _is_loaded(manifest, rel, data):
        ahead: Manifest | None = manifest  # the very bytes already loaded, from the same place: loaded again, the same
    else:
        ahead = _parse_at(manifest.root, rel, data)
    # Selection needs no checkout: work nothing guards costs no snapshot and no worktree.
    if ahead is not None and not select(ahead.scenarios, selector):
        return _nothing(opts, scope, report_json=on_json is None)
    from smoke import worktree

    sha = tested.commit()
    out.line(f"smoke gate: testing {tested.name} in a temporary checkout: {why}")
    with worktree.checkout(manifest.root, sha, prefix=tested.prefix) as tree:
        used = manifest if rel is None or data is None else _load_at(tree, rel, tested.label)
        selected = select(used.scenarios, selector)
        if not selected:
            return _nothing(opts, scope, report_json=on_json is None)
        from smoke import session

        return session.execute(used, selected, opts.run, what=what, root=tree, on_json=on_json)


def _is_loaded(manifest: Manifest, rel: str, data: bytes) -> bool:
    """Whether `data`, a manifest read through git at `rel`, is `manifest` itself: the same bytes at the same path,
    which _parse_at would load into the same scenarios (the cache is keyed by path, root and bytes)."""
    return data == manifest.source and manifest.path_str == pathstr.join(manifest.root_str, rel)


# ---------------------------------------------------------------- pre-commit


def _gate_commit(opts: GateOptions, manifest: Manifest, selector: Selector, what: str, scope: str) -> ExitCode:
    """What is being committed: in place when the work tree is the index, else a snapshot of the index.

    In place is the usual case (the pre-commit framework stashes unstaged
    changes to tracked files first, not untracked ones). Otherwise an unstaged fix (or an
    untracked file the commit leaves out) would make a broken commit pass.
    """
    root = manifest.root_str
    rel = _manifest_rel(manifest)
    why = _unstaged(_commit_status(root))
    blob: bytes | None = None
    if why is None and rel is not None and manifest.agents():
        # git status trusts the index's skip-worktree and assume-unchanged flags, which an agent can set:
        # an agent's commit is tested in place only when the manifest is the staged one, byte for byte.
        blob = git.staged_blob(root, rel)
        if blob is not None and blob != manifest.source:
            why = "the work tree's manifest is not the staged one, though git status shows no change"
    if why is None:
        return _gate_here(opts, manifest, selector, what, scope)
    staged = Tested(
        "what is staged", ":", blob if blob is not None else git.staged_blob(root, rel) if rel is not None else None,
        lambda: git.snapshot_index(root), "smoke-commit-",
    )
    return _gate_checkout(opts, manifest, selector, staged, what, scope, why)


@functools.cache
def _commit_status(root: StrPath) -> tuple[tuple[str, str], ...]:
    """`git status` once per gate: what is staged, and whether the work tree differs from it."""
    return tuple(git.work_tree_status(root))


def _staged(status: tuple[tuple[str, str], ...]) -> list[Change]:
    return [Change(path, "staged") for code, path in status if code[0] not in " ?"]


def _unstaged(status: tuple[tuple[str, str], ...]) -> str | None:
    """Why the work tree is not what is being committed; None when it is."""
    if any(code != "??" and code[1] != " " for code, _ in status):
        return "the work tree has unstaged changes"
    if any(code == "??" for code, _ in status):
        return "the work tree has untracked files"
    return None


# ---------------------------------------------------------------- wg done


def _grow_only(opts: GateOptions, manifest: Manifest, task: str, status: list[tuple[str, str]]) -> ExitCode:
    """`wg done` has no grow-only hook of its own: the work tree must not promise less than HEAD,
    nor less than where the task's branch left `base_ref`.

    Otherwise dropping the task from `owners` (uncommitted, or in a commit made
    with --no-verify) would select nothing and pass. Against HEAD, `git status`
    first: a manifest it does not list is HEAD's, and with nothing protected
    deleted that costs no more git; then bytes: an unchanged manifest costs no parsing.
    """
    root = manifest.root_str
    rel = _manifest_rel(manifest)
    head = git.head_sha(root)
    if rel is None or head is None:
        return ExitCode.OK  # no commit yet: nothing to shrink
    agent = bool(manifest.agents())
    # An agent's manifest is compared with HEAD's bytes even when git status does not list it: status
    # trusts the index's skip-worktree and assume-unchanged flags, which an agent can set.
    as_head = not pathstr.is_symlink(manifest.path_str) and rel not in {path for _, path in status} and not agent
    # What grow-only protects that the work tree lost, or (an agent's edit of a kept scenario's script,
    # which grow-only refuses) changed. A file new in the index ("A") was never HEAD's.
    touched_here = [
        path for code, path in status
        if code != "??" and code[0] != "A" and ("D" in code or (agent and ("M" in code or "T" in code)))
    ]
    if agent:
        # ...and, for an agent, what the index tells git status not to look at (skip-worktree, assume-unchanged).
        touched_here += git.hidden_from_status(root, posixpath.dirname(rel) or ".")
    bases = ["HEAD"]
    found = git.merge_base(root, manifest.settings.base_ref)
    if found is not None and found[1] != head:
        bases.append(found[1])
    current: bytes | None = None
    changed = []
    for base in bases:
        if base == "HEAD" and as_head and not _suite_touched(manifest, rel, touched_here):
            continue
        committed = git.blob_at(root, base, rel)
        if committed is None:
            continue  # a manifest new since then: nothing to shrink
        current = current if current is not None else _bytes(manifest.path_str)
        if committed != current:
            changed.append(base)
            continue
        # Since HEAD, what `git status` (asked once, above) lists; since the fork, what git diff does.
        touched = touched_here if base == "HEAD" else git.deleted_since(root, base, modified=agent)
        if _suite_touched(manifest, rel, touched):
            changed.append(base)
    if not changed:
        return ExitCode.OK
    from smoke import growdoor

    out = Out(human_stream(opts.json), opts.color)
    return growdoor.guard_work_tree(out, manifest.path, manifest.root, stage="done", task=task, bases=changed)


def _bytes(path: StrPath) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _suite_touched(manifest: Manifest, rel: str, touched: list[str]) -> bool:
    """Whether `touched` (files lost, or changed) holds one grow-only protects: in the scenarios folder, or a scenario's script."""
    if not touched:
        return False
    mdir = posixpath.dirname(rel)
    # growonly.scenarios_folder, spelled out: this runs on every `wg done`, which must not load the comparison.
    folder = posixpath.join(mdir, "scenarios/") if mdir else "scenarios/"
    if any(p.startswith(folder) for p in touched):
        return True
    # A script under the folder is covered above; only those that may lie elsewhere are worked out.
    scripts = {
        posixpath.normpath(posixpath.join(mdir, sc.script)) for sc in manifest.scenarios
        if sc.script and not (sc.script.startswith("scenarios/") and ".." not in sc.script)
    }
    return any(p in scripts for p in touched)


# ---------------------------------------------------------------- pre-push


def _gate_push(opts: GateOptions, manifest: Manifest, task: str | None) -> ExitCode:
    """Each pushed commit is held to its own promises, in place when it is exactly the work tree."""
    from smoke import pushrange

    root = manifest.root_str
    # Each pushed commit's manifest is read by the git process that finds the commits.
    pushes, note = pushrange.pushed_commits(root, _manifest_rel(manifest))
    if note:
        sys.stderr.write(f"smoke gate: note: {note}\n")
    if not pushes:
        return _nothing(opts, f"task '{task}'" if task else "this change")
    head = git.head_sha(root)
    merged = _Merged() if opts.json else None
    code = ExitCode.OK
    try:
        for push in pushes:
            # One commit keeps the plain wording; among several, the refusal names the ref.
            what = "the push" if len(pushes) == 1 else f"the push of {push.name()}"
            scope = (f"task '{task}'" if task else "this change") if len(pushes) == 1 else what
            selector = _push_selector(opts, task, push)
            on_json = merged.collect(push.sha) if merged else None
            tested = _pushed_commit(push)
            if push.sha == head:
                code = max(code, _gate_head(opts, manifest, selector, tested, what, scope, on_json))
            else:
                why = "it is not what is checked out"
                code = max(code, _gate_checkout(opts, manifest, selector, tested, what, scope, why, on_json))
    except KeyboardInterrupt:
        # Like a single run cut short: one object with what finished.
        if merged:
            merged.print()
        raise
    if merged:
        merged.print()
    return code


def _gate_head(
    opts: GateOptions,
    manifest: Manifest,
    selector: Selector,
    tested: Tested,
    what: str,
    scope: str,
    on_json: Callable[[list[Result]], None] | None,
) -> ExitCode:
    """HEAD, pushed: in place when the work tree is exactly HEAD, else in a checkout of it.

    When HEAD's manifest is the one already loaded (or the manifest lies
    outside the repository), both select from the same scenarios after the
    same _unguarded: `git status` is asked only once something is selected.
    """
    rel = _manifest_rel(manifest)
    same = rel is None or (tested.manifest is not None and _is_loaded(manifest, rel, tested.manifest))
    if not same:
        why = _uncommitted(git.work_tree_status(manifest.root_str))
        if why is None and tested.manifest is not None and tested.manifest != manifest.source:
            # git status says the work tree is HEAD, yet its manifest is not HEAD's: an edit git was told
            # not to see (skip-worktree, assume-unchanged). HEAD is held to its own manifest, in a checkout.
            why = "the work tree's manifest is not HEAD's, though git status shows no change"
        if why is None:
            return _gate_here(opts, manifest, selector, what, scope, on_json)
        return _gate_checkout(opts, manifest, selector, tested, what, scope, why, on_json)
    selector, refused = _unguarded(opts, manifest, selector, what)
    if refused is not None:
        return refused
    if not select(manifest.scenarios, selector):
        return _nothing(opts, scope, report_json=on_json is None)
    why = _uncommitted(git.work_tree_status(manifest.root_str))
    if why is None:
        return _run_here(opts, manifest, selector, what, scope, on_json)
    return _run_checkout(opts, manifest, selector, tested, what, scope, why, on_json)


def _uncommitted(status: list[tuple[str, str]]) -> str | None:
    """Why the work tree is not HEAD; None when it is. An untracked file counts: the commit may need it."""
    if any(code != "??" for code, _ in status):
        return "the work tree has uncommitted changes"
    if status:
        return "the work tree has untracked files"
    return None


def _push_selector(opts: GateOptions, task: str | None, push: PushedCommit) -> Selector:
    if opts.all:
        return Selector(all=True)
    return Selector(owners=(task,) if task else (), changes=push.changes)


def _pushed_commit(push: PushedCommit) -> Tested:
    sha = push.sha
    return Tested(f"{push.name()} ({sha[:7]})", f"{sha[:7]}:", push.manifest, lambda: sha, "smoke-push-")


class _Merged:
    """--json at pre-push: every pushed commit's results in one object, each result naming its commit."""

    def __init__(self) -> None:
        self.results: list[Result] = []
        self.rows: list[dict[str, Any]] = []

    def collect(self, sha: str) -> Callable[[list[Result]], None]:
        def add(results: list[Result]) -> None:
            self.results.extend(results)
            self.rows.extend({**r.to_json(), "commit": sha} for r in results)

        return add

    def print(self) -> None:
        from smoke import report

        merged = report.to_json(self.results)
        merged["results"] = self.rows
        import json

        sys.stdout.write(json.dumps(merged, indent=2) + "\n")


def _manifest_rel(manifest: Manifest) -> str | None:
    """Where the manifest sits in the repository, as a path git knows; None when it lives outside."""
    # Path(os.path.normpath(manifest.path)).relative_to(manifest.root).as_posix(), None for its ValueError.
    return pathstr.relative_to(os.path.normpath(manifest.path_str), manifest.root_str)


def _parse_at(root: Path, rel: str, data: bytes) -> Manifest | None:
    """The tested manifest, read from git for selection only; None when invalid (loading it in the checkout reports why)."""
    try:
        # Cached by its exact bytes: usually the pushed manifest is the one in the work tree.
        return cache.load_path(root / rel, root, data)
    except SmokeError:
        return None


def _load_at(tree: Path, rel: str, label: str) -> Manifest:
    """The manifest of the checkout, named the way git names it (`label`): the checkout is gone once the report is read."""
    try:
        loaded = manifest_mod.load_path(tree / rel, tree)
    except ManifestError as e:
        raise ManifestError([_relabel(p, tree, label) for p in e.problems]) from None
    return _Committed(loaded, label + rel, {k: _relabel(v, tree, label) for k, v in loaded.deferred.items()})


def _relabel(problem: Problem, tree: Path, label: str) -> Problem:
    """The problem with the checkout's paths (its place, where a script was looked for) named as git names them."""
    inside = f"{tree}{os.sep}"
    path, hint = problem.path, problem.hint
    return Problem(
        path.replace(inside, label) if path else path, problem.line, problem.message.replace(inside, label),
        scenario=problem.scenario, key=problem.key, hint=hint.replace(inside, label) if hint else hint,
        column=problem.column,
    )


class _Committed(Manifest):
    """A manifest loaded from a temporary checkout, shown as `1a2b3c4:tests/smoke/manifest.toml` (`:tests/...` for the index)."""

    def __init__(self, loaded: Manifest, label: str, deferred: dict[str, Problem]) -> None:
        super().__init__(
            loaded.path, loaded.root, loaded.settings, loaded.scenarios, loaded.warnings, deferred, loaded.script_lines
        )
        self.label = label

    def display(self) -> str:
        return self.label
