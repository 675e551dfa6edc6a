"""A person's one-shot grant that lets the next agent gate of one task through.

`smoke allow --task T --reason R` writes it (only at a terminal, after the
person types T); the next gate of T run by an agent consumes it and passes,
loudly. A grant is bound to the task, to HEAD and to the content of the work
tree when it was given, so it cannot be spent on other work; it expires after
an hour. Giving and using one are both written to the audit log.

Grants live in the git directory like the audit log. A process of the same
user that writes one by hand is forging, like rewriting `.git` internals:
docs/reliability.md says why CI from a fresh clone is the backstop.
"""
from __future__ import annotations

import os
import time

from smoke import git
from smoke import pathstr
from smoke.errors import SmokeError

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from pathlib import Path

    from smoke.pathstr import StrPath

VALID_SECONDS = 3600
_FOLDER = "grants"


def _folder(root: Path) -> Path:
    base = git.private_dir(root)
    if base is None:
        raise SmokeError(f"{root} is not inside a git repository", hint="a grant is kept in the git directory")
    return base / "smoke" / _FOLDER


# json and hashlib are imported where a grant is read or written: every agent gate asks present() first.


def _file(root: Path, task: str) -> Path:
    import hashlib

    return _folder(root) / (hashlib.sha256(task.encode("utf-8")).hexdigest()[:24] + ".json")


def present(root: StrPath) -> bool:
    """Whether any grant could apply: one stat, so an agent's no-op gate stays fast (and without pathlib)."""
    base = git.private_dir_str(root)
    return base is not None and pathstr.is_dir(pathstr.join(base, "smoke", _FOLDER))


def _state(root: Path) -> tuple[str | None, str]:
    return git.rev_parse(root, "HEAD"), git.tree_digest(root)


def give(root: Path, task: str, reason: str, user: str) -> dict[str, object]:
    """Write the grant for `task` (replacing an unused one) and return it."""
    head, content = _state(root)
    now = time.time()
    grant: dict[str, object] = {
        "task": task, "head": head, "content": content, "reason": reason, "user": user,
        "given": now, "expires": now + VALID_SECONDS,
    }
    path = _file(root, task)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import json

        from smoke import files

        files.atomic_write(path, json.dumps(grant))
    except OSError as e:
        raise SmokeError(f"cannot write the grant {path}: {e.strerror}", hint="fix the permissions of the git directory") from None
    return grant


def take(root: Path, task: str) -> tuple[dict[str, object] | None, str | None]:
    """(the grant, consumed) when one for `task` matches HEAD and the work tree; else (None, why not, or None when there is none).

    Consumed by renaming it away first: of two gates racing for one grant, one wins.
    """
    path = _file(root, task)
    try:
        import json

        grant = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError):
        return None, f"the grant for task '{task}' cannot be read"
    if not isinstance(grant, dict) or grant.get("task") != task:
        return None, f"the grant for task '{task}' is not valid"
    expires = grant.get("expires")
    if not isinstance(expires, (int, float)) or expires < time.time():
        path.unlink(missing_ok=True)
        return None, f"the grant for task '{task}' has expired"
    head, content = _state(root)
    if grant.get("head") != head:
        return None, f"the grant for task '{task}' was given at another commit"
    if grant.get("content") != content:
        return None, f"the grant for task '{task}' was given for other work (the files changed since)"
    spent = path.with_name(f"{path.name}.{os.getpid()}.used")
    try:
        os.rename(path, spent)
    except OSError:
        return None, None  # another gate took it first
    spent.unlink(missing_ok=True)
    return grant, None
