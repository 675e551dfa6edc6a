"""Who may bypass the gate or shrink the suite, and the audit log every such act is written to.

An agent must not get past these checks by editing the manifest, so agent
detection never trusts the work tree alone: WG_AGENT_ID always counts, and so
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
from smoke.agents.harnesses import AGENT_VARS
from smoke.errors import SmokeError
from smoke.manifest import DEFAULT_REL_PATH

DEFAULT_AGENT_VAR = "WG_AGENT_ID"
DEFAULT_BASE_REF = "main"
OVERRIDE_VARS = ("SMOKE_AGENT_OVERRIDE", "WG_SMOKE_AGENT_OVERRIDE")

Doc = dict[str, Any]


# ---------------------------------------------------------------- who is an agent


def agent_names(docs: Iterable[Doc | None]) -> list[str]:
    """WG_AGENT_ID and the variables agent harnesses set, then every `agent_env` name that any of `docs` lists."""
    names = [DEFAULT_AGENT_VAR, *AGENT_VARS]
    for doc in docs:
        settings = doc.get("settings") if isinstance(doc, dict) else None
        listed = settings.get("agent_env") if isinstance(settings, dict) else None
        if isinstance(listed, list):
            names.extend(v for v in listed if isinstance(v, str) and v)
    return list(dict.fromkeys(names))


def agents_set(names: Iterable[str]) -> list[str]:
    """Those of `names` set (non-empty) in the environment."""
    return [v for v in names if os.environ.get(v)]


def overrides() -> list[str]:
    """The agent-override variables set to 1."""
    return [v for v in OVERRIDE_VARS if os.environ.get(v) == "1"]


def detect(root: Path | None, rels: Iterable[str], docs: Iterable[Doc | None]) -> tuple[list[str], list[str]]:
    """(the agent variables that count, those of them set now).

    They are WG_AGENT_ID, the `agent_env` of `docs` (the manifests as the
    caller has them: parsed, not validated, so a half-edited one still names
    its agents) and that of the committed manifests at `rels`.
    """
    found = list(docs)
    rels = list(rels)  # read at HEAD and again at the fork
    if root is not None:
        found.extend(committed(root, rels))
        found.extend(at_fork(root, rels, found))
    names = agent_names(found)
    return names, agents_set(names)


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
            rels.insert(0, path.resolve().relative_to(root.resolve()).as_posix())
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
            data = git.blob_at(root, ref, rel)
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
    import tomllib

    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None


# ---------------------------------------------------------------- the audit log


def audit(
    root: os.PathLike[str] | None,
    action: str,
    task: str | None,
    stage: str | None,
    reason: str | None,
    *,
    agent_env: Iterable[str] = (DEFAULT_AGENT_VAR,),
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
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "action": action, "user": _user(),
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


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
