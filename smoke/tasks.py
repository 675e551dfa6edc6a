"""Which task is being worked on, and what it changed: the work a task's gate protects."""
from __future__ import annotations

import os
import re
from collections.abc import Callable

from smoke import git
from smoke.git import Change
from smoke.manifest import Manifest


def current_task(manifest: Manifest) -> str | None:
    """$SMOKE_TASK, else $WG_TASK_ID, else a task id in the branch name."""
    for var in ("SMOKE_TASK", "WG_TASK_ID"):
        if os.environ.get(var):
            return os.environ[var]
    branch = git.current_branch(manifest.root)
    if branch:
        m = re.search(manifest.settings.task_branch_pattern, branch)
        if m and m.groupdict().get("task"):
            return m.group("task")
    return None


def task_changes(manifest: Manifest, task: str, status: list[tuple[str, str]] | None = None) -> list[Change]:
    """Everything the task changed: uncommitted work, the branch, commits naming it.

    The three questions are independent, so git answers them at once (each
    is a short chain of git processes): a gate with nothing at stake waits
    for the longest chain, not their sum. `status`: git.full_status, if already asked.
    """
    import threading

    root = manifest.root
    parts: list[list[Change] | BaseException] = [[], [], []]

    def ask(i: int, question: Callable[[], list[Change]]) -> None:
        try:
            parts[i] = question()
        except BaseException as e:  # noqa: BLE001 - raised again in the calling thread
            parts[i] = e

    questions: list[Callable[[], list[Change]]] = [
        lambda: git.uncommitted_files(root, status),
        lambda: git.branch_files(root, manifest.settings.base_ref),
        lambda: git.task_commit_files(root, task),
    ]
    threads = [threading.Thread(target=ask, args=(i, q), daemon=True) for i, q in enumerate(questions[1:], 1)]
    for t in threads:
        t.start()
    ask(0, questions[0])
    for t in threads:
        t.join()
    changes: list[Change] = []
    for part in parts:
        if isinstance(part, BaseException):
            raise part
        changes.extend(part)
    return changes
