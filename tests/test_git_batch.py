"""git.Batch: several questions to git answered at once must answer exactly as
asked one process at a time, ask git no command twice, and leave no process
behind; the stop door's shortcuts (status for a diff against HEAD, no log of
an empty range) must decide as the full questions do."""
from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from helpers import Repo

from smoke import git
from smoke import manifest as manifest_mod
from smoke import tasks
from smoke.agents import stophook
from smoke.errors import SmokeError

MANIFEST = """
[[scenario]]
name = "guarded"
script = "scenarios/guarded.sh"
owners = ["other-task"]
description = "a workgraph-style scenario"
timeout_seconds = 30

[[scenario]]
name = "tools"
script = "../../tools/check.sh"
owners = ["other-task"]
description = "a script outside the manifest's folder"
timeout_seconds = 30
"""


@pytest.fixture(autouse=True)
def _fresh() -> None:
    git._merge_bases.clear()  # each test's repository is new; HEAD moves within a test


def _suite(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/guarded.sh", "echo ok\n")
    repo.write("tools/check.sh", "echo ok\n")
    repo.write("src/a.txt", "a\n")
    repo.write("src/b.txt", "b\n")
    assert repo.commit("suite").returncode == 0


def _work(repo: Repo) -> None:
    """A task branch with every kind of change: its commits (one naming the task, a merge naming it),
    commits on main it must not see, staged, unstaged, deleted and untracked files."""
    repo.git("checkout", "-q", "-b", "wg/fix-a")
    repo.write("src/a.txt", "a2\n")
    assert repo.commit("refactor a").returncode == 0
    repo.git("checkout", "-q", "-b", "side")
    repo.write("src/side.txt", "side\n")
    assert repo.commit("side work").returncode == 0
    repo.git("checkout", "-q", "wg/fix-a")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'side' for fix-a", "side")
    repo.git("checkout", "-q", "main")
    repo.write("src/main-only.txt", "main\n")
    assert repo.commit("main moves on").returncode == 0
    repo.git("checkout", "-q", "wg/fix-a")
    repo.write("src/b.txt", "b2\n")
    repo.git("add", "src/b.txt")
    repo.write("src/a.txt", "a3\n")
    (repo.path / "README").unlink()
    repo.write("src/new.txt", "untracked\n")


def _one_at_a_time(root: Path, steps: list[git.Steps[object]]) -> list[object]:
    answers = []
    for s in steps:
        try:
            answers.append(git._drive(root, s))
        except SmokeError as e:
            answers.append(f"raised: {e}")
    return answers


def _at_once(root: Path, steps: list[git.Steps[object]]) -> list[object]:
    with git.Batch(root) as batch:
        gets = [batch.add(s) for s in steps]
        batch.run()
    answers = []
    for get in gets:
        try:
            answers.append(get())
        except SmokeError as e:
            answers.append(f"raised: {e}")
    return answers


def _questions(repo: Repo, base_ref: str = "main") -> list[git.Steps[object]]:
    root = repo.path
    manifest = manifest_mod.load(str(root / manifest_mod.DEFAULT_REL_PATH), cwd=root)
    scripts = [sc.script for sc in manifest.scenarios if sc.script is not None]
    return [
        *tasks.change_steps(manifest, "fix-a"),
        stophook._suite_changed_steps(root, base_ref, scripts),
        git.full_status_steps(),
        git.merge_base_steps(root, base_ref),
        git.rev_parse_steps("no-such-ref"),
        git.changed_since_steps("main"),
        git.changed_since_steps("no-such-ref"),  # fails: raised in the steps, as `_run` raises
    ]


def test_a_batch_answers_exactly_as_git_asked_one_process_at_a_time(repo: Repo) -> None:
    _suite(repo)
    _work(repo)
    alone = _one_at_a_time(repo.path, _questions(repo))
    git._merge_bases.clear()
    together = _at_once(repo.path, _questions(repo))
    assert together == alone
    uncommitted, branch, named = alone[:3]
    assert {(c.path, c.origin) for c in uncommitted} == {  # type: ignore[attr-defined]
        ("src/b.txt", "staged"), ("src/a.txt", "unstaged"), ("README", "unstaged"), ("src/new.txt", "untracked"),
    }
    assert {c.path for c in branch} == {"src/a.txt", "src/side.txt"}  # type: ignore[attr-defined]
    assert [c.path for c in named] == ["src/side.txt"]  # type: ignore[attr-defined]
    assert alone[-1] == "raised: git diff --name-only -z failed: fatal: bad revision 'no-such-ref'"


def test_a_base_that_names_no_commit_raises_in_its_own_answer_only(repo: Repo) -> None:
    _suite(repo)
    _work(repo)
    alone = _one_at_a_time(repo.path, _questions(repo, base_ref="no-such-base"))
    git._merge_bases.clear()
    together = _at_once(repo.path, _questions(repo, base_ref="no-such-base"))
    assert together == alone
    error = "raised: settings.base_ref 'no-such-base' does not name a commit here (looked for no-such-base, origin/no-such-base)"
    assert alone[3] == alone[5] and str(alone[3]).startswith(error)  # grow-only's question and the merge-base's
    with pytest.raises(SmokeError, match="does not name a commit"):
        git.merge_base(repo.path, "no-such-base")


def test_leaving_a_batch_unanswered_ends_its_git_processes(repo: Repo) -> None:
    _suite(repo)
    _work(repo)
    with git.Batch(repo.path) as batch:
        for steps in _questions(repo):
            batch.add(steps)
        pids = [proc.pid for proc in batch._running.values()]
        assert len(pids) >= 4
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped already: no child of ours by that id
    assert not (repo.path / ".git" / "index.lock").exists()
    assert repo.git("status", "--porcelain").returncode == 0


# ---------------------------------------------------------------- the stop door


def _logging_git(repo: Repo, tmp: Path) -> tuple[dict[str, str], Path]:
    """A `git` first on PATH that writes each command line to a log, then runs the real git."""
    real = shutil.which("git")
    assert real
    folder = tmp / "logging-git"
    folder.mkdir(parents=True)
    log = tmp / "git.log"
    wrapper = folder / "git"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{folder}{os.pathsep}{repo.env['PATH']}"}, log


def _stop_asks(repo: Repo, tmp: Path) -> list[str]:
    env, log = _logging_git(repo, tmp)
    payload = json.dumps({
        "session_id": "s", "transcript_path": "/tmp/t.jsonl", "cwd": str(repo.path), "permission_mode": "default",
        "hook_event_name": "Stop", "stop_hook_active": False,
    })
    res = repo.smoke("agent-hook", "claude", "Stop", env={**env, "CLAUDECODE": "1", "SMOKE_TASK": "my-task"},
                     input=payload)
    assert res.returncode == 0 and "nothing to run" in res.stderr and "block" not in res.stdout, res.stdout + res.stderr
    # "-C <root> <command> ...": the command and, for a log, whether it is the task's search.
    lines = [line.split(" ", 2)[2] for line in log.read_text().splitlines()]
    return sorted(("log --grep" if "--grep=" in line else line.split()[0]) for line in lines)


def test_the_no_op_stop_asks_git_each_question_once(repo: Repo, tmp_path: Path) -> None:
    _suite(repo)
    repo.git("checkout", "-q", "-b", "wg/my-task")
    repo.write("docs/notes.md", "committed\n")
    assert repo.commit("docs").returncode == 0
    repo.write("docs/notes.md", "and more, uncommitted\n")
    assert _stop_asks(repo, tmp_path / "branch") == ["diff", "log", "log --grep", "merge-base", "rev-list", "status"]


def test_the_no_op_stop_on_uncommitted_work_reads_status_for_grow_only(repo: Repo, tmp_path: Path) -> None:
    # Where the work began is HEAD: no diff (status answers grow-only) and no log of base..HEAD (empty).
    _suite(repo)
    repo.write("docs/notes.md", "uncommitted\n")
    assert _stop_asks(repo, tmp_path / "head") == ["log --grep", "merge-base", "rev-list", "status"]


def _untouched(root: Path, base: str, scripts: list[str]) -> bool:
    return git._drive(root, stophook._suite_untouched_steps(root, base, scripts))


@pytest.mark.parametrize("state", [
    "unrelated", "manifest edited", "manifest deleted", "script staged deleted", "script outside edited",
    "script untracked in the folder", "script removed from the index only", "staged then changed back",
])
def test_grow_only_from_status_never_says_untouched_where_the_diff_would_not(repo: Repo, state: str) -> None:
    _suite(repo)
    scripts = ["scenarios/guarded.sh", "../../tools/check.sh"]
    if state == "unrelated":
        repo.write("docs/notes.md", "notes\n")
    elif state == "manifest edited":
        repo.manifest(MANIFEST.replace("timeout_seconds = 30", "timeout_seconds = 1"))
    elif state == "manifest deleted":
        (repo.path / manifest_mod.DEFAULT_REL_PATH).unlink()
    elif state == "script staged deleted":
        repo.git("rm", "-q", "tests/smoke/scenarios/guarded.sh")
    elif state == "script outside edited":
        repo.write("tools/check.sh", "true\n")
    elif state == "script untracked in the folder":
        repo.write("tests/smoke/scenarios/new.sh", "echo new\n")
    elif state == "script removed from the index only":
        repo.git("rm", "-q", "--cached", "tools/check.sh")
    elif state == "staged then changed back":
        repo.write("tools/check.sh", "true\n")
        repo.git("add", "tools/check.sh")
        repo.write("tools/check.sh", "echo ok\n")
    # The fast path (base is HEAD: status) against the full one (the same commit by another name: git diff).
    fast = _untouched(repo.path, repo.head(), scripts)
    full = _untouched(repo.path, "HEAD~0", scripts)
    assert full or not fast
    if state == "staged then changed back":
        # status lists it (the index differs from HEAD), the diff does not: grow-only runs, and finds nothing.
        assert (fast, full) == (False, True)
    else:
        assert fast == full == (state in ("unrelated", "script untracked in the folder"))


def test_answers_larger_than_a_pipe_holds_arrive_whole(repo: Repo) -> None:
    # Started before `run` reads them, git waits on a full pipe; run drains every pipe at once.
    _suite(repo)
    for i in range(1500):
        repo.write(f"untracked/a-rather-long-folder-name-to-fill-the-pipe/file-{i:05d}.txt", "x\n")
    alone = _one_at_a_time(repo.path, [git.full_status_steps(), git.uncommitted_steps()])
    together = _at_once(repo.path, [git.full_status_steps(), git.uncommitted_steps()])
    assert together == alone
    assert len(alone[0]) == 1500  # type: ignore[arg-type]
    assert sum(len(path) + 4 for _, path in alone[0]) > 65536  # type: ignore[union-attr]
