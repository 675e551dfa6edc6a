"""Who may bypass the gate or shrink the suite, and the audit log every such act is written to.

An agent must not get past these checks by editing the manifest, so agent
detection never trusts the work tree alone: the harness variables of
smoke.agents.identity.DEFAULT_AGENT_ENV always count, and so
does every `agent_env` name in the manifest committed at HEAD and at the
merge-base with the base branch, which the agent's own commits cannot change
(read through git, so only on the bypass and override paths: the normal gate
never pays for it).
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from smoke import git
from smoke.agents.identity import DEFAULT_AGENT_ENV
from smoke.agents.identity import set_among
from smoke.errors import SmokeError
from smoke.manifest import DEFAULT_REL_PATH

DEFAULT_BASE_REF = "main"

Doc = dict[str, Any]


# ---------------------------------------------------------------- who is an agent


def agent_names(docs: Iterable[Doc | None]) -> list[str]:
    """The default agent variables, then every `agent_env` name that any of `docs` (parsed manifests) lists."""
    names = list(DEFAULT_AGENT_ENV)
    for doc in docs:
        settings = doc.get("settings") if isinstance(doc, dict) else None
        listed = settings.get("agent_env") if isinstance(settings, dict) else None
        if isinstance(listed, list):
            names.extend(v for v in listed if isinstance(v, str) and v)
    return list(dict.fromkeys(names))


def detect(root: Path | None, rels: Iterable[str], docs: Iterable[Doc | None]) -> tuple[list[str], list[str]]:
    """(the agent variables that count, those of them set now).

    They are the defaults, the `agent_env` of `docs` (the manifests as the
    caller has them: parsed, not validated, so a half-edited one still names
    its agents) and that of the committed manifests at `rels`.
    """
    found = list(docs)
    rels = list(rels)  # read at HEAD and again at the fork
    if root is not None:
        found.extend(committed(root, rels))
        found.extend(at_fork(root, rels, found))
    names = agent_names(found)
    return names, set_among(names)


def at_fork(root: Path, rels: list[str], docs: Iterable[Doc | None]) -> list[Doc]:
    """The manifests where HEAD left the base branch: an agent's own commits cannot drop a name listed there.

    The base is `settings.base_ref` as any of `docs` names it and always the
    default `main`, each here and on origin, and origin's default branch: a
    base_ref the agent edited cannot point the check at its own commits alone.
    """
    head = git.rev_parse(root, "HEAD")
    if head is None:
        return []
    refs = [ref for base in dict.fromkeys([*_base_refs(docs), DEFAULT_BASE_REF]) for ref in (base, f"origin/{base}")]
    forks = []
    for ref in dict.fromkeys([*refs, "origin/HEAD"]):
        fork = git.common_ancestor(root, head, ref) if git.rev_parse(root, ref) is not None else None
        if fork is not None and fork != head:
            forks.append(fork)
    return [doc for sha in dict.fromkeys(forks) for doc in committed(root, rels, sha)]


def _base_refs(docs: Iterable[Doc | None]) -> list[str]:
    refs = []
    for doc in docs:
        settings = doc.get("settings") if isinstance(doc, dict) else None
        value = settings.get("base_ref") if isinstance(settings, dict) else None
        if isinstance(value, str) and value:
            refs.append(value)
    return refs


def manifest_rels(path: Path | None, root: Path) -> list[str]:
    """Where the committed manifest is: where `path` is now (when inside the repository), and the default place.

    The default place counts too, so pointing SMOKE_MANIFEST elsewhere does not hide the committed settings.
    """
    rels = [DEFAULT_REL_PATH]
    if path is not None:
        try:
            rels.insert(0, (path.absolute().parent.resolve() / path.name).relative_to(root.resolve()).as_posix())
        except ValueError:
            pass  # a manifest outside the repository has no committed version
    return list(dict.fromkeys(rels))


def committed(root: Path, rels: Iterable[str], ref: str = "HEAD") -> list[Doc]:
    """The manifests at `rels` (relative to the top level) as of `ref`; those missing or unparsable are left out."""
    if git.rev_parse(root, ref) is None:
        return []  # no commit yet
    docs = []
    for rel in dict.fromkeys(rels):
        try:
            data = git.blob_at(root, ref, git.follow_links(root, ref, rel))
        except SmokeError:
            continue
        doc = parse_bytes(data) if data is not None else None
        if doc is not None:
            docs.append(doc)
    return docs


def parse_file(path: Path) -> Doc | None:
    try:
        return parse_bytes(path.read_bytes())
    except OSError:
        return None


def parse_bytes(data: bytes) -> Doc | None:
    """The TOML document, or None when it does not parse (callers fall back to what they can read)."""
    from smoke import tomlread

    try:
        return tomlread.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomlread.TOMLDecodeError, RecursionError):
        return None


# ---------------------------------------------------------------- the audit log


ALLOW_SHRINK_VAR = "SMOKE_ALLOW_SHRINK"


class Decision:
    """A door's answer to a human override: allowed or not, what to show, and the agent variables that count (for the audit)."""

    __slots__ = ("agent_env", "allowed", "message")

    def __init__(self, allowed: bool, message: str, agent_env: list[str]) -> None:
        self.allowed = allowed
        self.message = message
        self.agent_env = agent_env


def allow_shrink(root: Path, path: Path, docs: list[Doc], n: int, since: str) -> Decision:
    """Whether `n` removals or weakenings `since` ... may pass: only for a human who set SMOKE_ALLOW_SHRINK=1.

    Both sides' agent_env and the committed one's count: removing a variable
    from settings must not let an agent through.
    """
    names, agents = detect(root, manifest_rels(path, root), docs)
    if agents:
        # No variable lets an agent shrink the suite, so none is named to it unless it set one.
        if os.environ.get(ALLOW_SHRINK_VAR):
            why = f"{ALLOW_SHRINK_VAR} is not honoured for agents ({', '.join(agents)} is set)"
        else:
            why = f"{n} removal(s) or weakening(s) {since} by an agent ({', '.join(agents)} is set)"
        return Decision(False, (
            f"smoke check --grow-only refused: {why}. Restore what was removed; only a human may shrink the smoke suite."
        ), names)
    if os.environ.get(ALLOW_SHRINK_VAR) != "1":
        return Decision(False, (
            f"smoke check --grow-only refused: {n} removal(s) or weakening(s) {since}"
            " (restore them; the smoke suite only grows. A human may override with SMOKE_ALLOW_SHRINK=1, audited)"
        ), names)
    bar = "!" * 79
    return Decision(True, (
        f"{bar}\n!!! SMOKE_ALLOW_SHRINK=1: {n} removal(s) or weakening(s) of the smoke suite ALLOWED.\n"
        f"!!! This is recorded in the audit log.\n{bar}\n"
    ), names)


def skip_smoke(path: Path | None, root: Path | None, task: str | None) -> Decision:
    """Whether the gate may be bypassed (--skip-smoke, SMOKE_SKIP_SMOKE=1): for a human, audited; never for an agent.

    Not from the loaded settings alone: an agent could edit agent_env in the
    work tree (or break the manifest so it does not load) to pass as a human.
    `path` is the manifest (None when it cannot be found), `root` the repository.
    """
    rels = manifest_rels(path, root) if root is not None else []
    names, agents = detect(root, rels, [parse_file(path)] if path is not None else [])
    if agents:
        return Decision(False, (
            f"smoke gate: --skip-smoke refused: the caller is an agent ({', '.join(agents)} is set)."
            " Fix the failing scenario instead. If the gate must be passed without it, ask a person to run"
            f" 'smoke allow --task {task or 'T'} --reason ...' in their own terminal.\n"
        ), names)
    return Decision(True, "", names)


def audit(
    root: os.PathLike[str] | None,
    action: str,
    task: str | None,
    stage: str | None,
    reason: str | None,
    *,
    agent_env: Iterable[str] = DEFAULT_AGENT_ENV,
    override: list[str] | None = None,
) -> Path | None:
    """Append one JSON line to <git dir>/smoke/audit.log; its path, or None outside a repository."""
    base = git.private_dir(Path(root)) if root else None
    if base is None:
        top = git.find_toplevel(Path.cwd())
        base = git.private_dir(top) if top else None
    if base is None:
        return None
    entry: dict[str, object] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "action": action, "user": user(),
        "agent": {v: os.environ[v] for v in agent_env if os.environ.get(v)},
        "task": task, "stage": stage, "reason": reason, "cwd": os.getcwd(),
    }
    if override:
        entry["override"] = override
    path = base / "smoke" / "audit.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
    except OSError as e:
        raise SmokeError(f"cannot write the audit log {path}: {e.strerror}", hint="fix its permissions") from None
    return path


def user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
