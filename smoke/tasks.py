"""Which task is being worked on, and what it changed: the work a task's gate protects."""
from __future__ import annotations

import os

from smoke import git
from smoke.git import Change
from smoke.manifest import DEFAULT_TASK_BRANCH_PATTERN
from smoke.manifest import Manifest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from smoke.git import Steps


def current_task(manifest: Manifest) -> str | None:
    """$SMOKE_TASK, else $WG_TASK_ID, else a task id in the branch name."""
    named = named_task()
    if named:
        return named
    branch = git.current_branch(manifest.root_str)
    if branch:
        pattern = manifest.settings.task_branch_pattern
        if pattern == DEFAULT_TASK_BRANCH_PATTERN:
            return default_branch_task(branch)
        import re

        m = re.search(pattern, branch)
        if m and m.groupdict().get("task"):
            return m.group("task")
    return None


def default_branch_task(branch: str) -> str | None:
    """What re.search(DEFAULT_TASK_BRANCH_PATTERN, branch) names as the task, without `re`
    (tests/test_tasks.py compares them): `wg/`, `task/` or `tasks/`, then one nonempty part
    without '/' to the end (the pattern's `$` before a final newline leaves that newline in the part)."""
    prefix, slash, rest = branch.partition("/")
    if slash and prefix in ("wg", "task", "tasks") and rest and "/" not in rest:
        return rest
    return None


def named_task() -> str | None:
    """The task the environment names ($SMOKE_TASK, else $WG_TASK_ID): current_task's answer when there is one."""
    for var in ("SMOKE_TASK", "WG_TASK_ID"):
        if os.environ.get(var):
            return os.environ[var]
    return None


def task_changes(manifest: Manifest, task: str, status: list[tuple[str, str]] | None = None) -> list[Change]:
    """Everything the task changed: uncommitted work, the branch, commits naming it.

    The three questions are independent, so git answers them at once (each
    is a short chain of git processes): a gate with nothing at stake waits
    for the longest chain, not their sum. `status`: git.full_status, if already asked.
    """
    with git.Batch(manifest.root_str) as batch:
        answers = [batch.add(steps) for steps in change_steps(manifest, task, status)]
        batch.run()
    return [change for answer in answers for change in answer()]


def change_steps(
    manifest: Manifest, task: str | None, status: list[tuple[str, str]] | None = None,
) -> list[Steps[list[Change]]]:
    """What the work changed, as questions for a git.Batch: uncommitted work and the branch since
    its merge-base with base_ref, and with a task the commits naming it."""
    root = manifest.root_str
    steps = [git.uncommitted_steps(status), git.branch_files_steps(root, manifest.settings.base_ref)]
    if task:
        steps.append(git.task_commit_files_steps(root, task))
    return steps
