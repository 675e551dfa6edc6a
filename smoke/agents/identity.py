"""Who is an agent: the environment variables that mark a command run by a coding agent.

Kept free of heavy imports: the no-op gate asks it (a caller that is an agent
never gets the manifest cache, nor a manifest named by the environment).
"""
from __future__ import annotations

import os

from smoke.agents.harnesses import AGENT_VARS

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Iterable

# The variables that make a caller an agent whatever the manifest says. Each
# one is set by a coding-agent harness in the environment of the commands it
# runs; add a harness in smoke/agents/harnesses.py with where its documentation says so.
DEFAULT_AGENT_ENV: tuple[str, ...] = tuple(dict.fromkeys((
    # workgraph's agents (the project this tool was made for).
    "WG_AGENT_ID",
    # Claude Code: "CLAUDECODE: Set to 1 in shell environments Claude Code
    # spawns", https://code.claude.com/docs/en/env-vars
    "CLAUDECODE",
    # Every harness smoke-gate has hooks for, each with its source there.
    *AGENT_VARS,
)))

# Variables that once let an agent through. They no longer do: a set one is
# named in a loud line and ignored; a person's grant (`smoke allow`) replaced them.
OVERRIDE_VARS = ("SMOKE_AGENT_OVERRIDE", "WG_SMOKE_AGENT_OVERRIDE")

# The hooks smoke-gate offers the pre-commit framework (.pre-commit-hooks.yaml):
# the framework's own SKIP=<id>,... skips them without a trace.
HOOK_IDS = ("smoke-gate", "smoke-gate-push", "smoke-check", "smoke-grow-only")

# `agent_env = [...]` as written in a manifest, read without parsing TOML: the
# no-op gate must not pay for a parser to learn who its caller is. It may
# find more names than the TOML holds (a commented-out line), never fewer for
# the usual spellings; more names only ever make more callers agents.
# Compiled only for a manifest that holds the word: both need `re`, which a
# gate with nothing at stake does not import otherwise.
_AGENT_ENV_RE = rb"""agent_env["']?\s*=\s*\[([^\]]*)\]"""
_NAME_RE = rb"""["']([^"'\s]+)["']"""


def set_among(names: Iterable[str]) -> list[str]:
    """Those of `names` set in the environment. A variable set but empty is not an agent."""
    return [v for v in dict.fromkeys(names) if os.environ.get(v, "").strip()]


def named_in(data: bytes | None) -> list[str]:
    """The agent variables a manifest's bytes name, plus the defaults."""
    names = list(DEFAULT_AGENT_ENV)
    if data and b"agent_env" in data:  # _AGENT_ENV_RE matches nothing without it
        import re

        for listed in re.findall(_AGENT_ENV_RE, data):
            names.extend(n.decode("utf-8", "replace") for n in re.findall(_NAME_RE, listed))
    return list(dict.fromkeys(names))


def caller_agents(manifest_bytes: bytes | None = None) -> list[str]:
    """The agent variables set now, among the defaults and those `manifest_bytes` names."""
    return set_among(named_in(manifest_bytes))


def ignored_overrides(prog: str) -> str | None:
    """The loud line for an agent that set an old override variable; None when none is set."""
    found = [v for v in OVERRIDE_VARS if os.environ.get(v)]
    if not found:
        return None
    return f"{prog}: IGNORED: {', '.join(found)} is set, but no environment variable lets an agent past the smoke gate"


def skipped_hooks() -> list[str]:
    """Those of smoke-gate's hooks that the pre-commit framework's SKIP names, when running under the framework."""
    if os.environ.get("PRE_COMMIT") != "1":
        return []
    named = {part.strip() for part in os.environ.get("SKIP", "").split(",")}
    return [h for h in HOOK_IDS if h in named]


def refuse_skipped_hooks(prog: str, manifest_bytes: bytes | None) -> bool:
    """A smoke-gate hook that runs while SKIP names another: True (refuse) for an agent; a loud line for a person."""
    skipped = skipped_hooks()
    if not skipped:
        return False
    import sys

    found = caller_agents(manifest_bytes)
    bar = "!" * 79
    if found:
        sys.stderr.write(
            f"{bar}\n!!! {prog}: refused: the pre-commit framework was told to skip {', '.join(skipped)}, and the"
            f" caller is an agent ({', '.join(found)} is set). Let every smoke-gate hook run.\n{bar}\n"
        )
        return True
    sys.stderr.write(f"{bar}\n!!! {prog}: WARNING: SKIP skips {', '.join(skipped)}: not run, and not audited.\n{bar}\n")
    return False


def main(argv: list[str]) -> int:
    """`python -m smoke.agents [MANIFEST]` (smoke/agents/__main__.py): exit 0 and print the names when the caller is an agent, else 1.

    For the `wg` shim, which must not trust a smoke chosen by the caller's environment to ask this.
    """
    data = None
    if argv:
        try:
            with open(argv[0], "rb") as f:
                data = f.read()
        except OSError:
            data = None
    found = caller_agents(data)
    if found:
        print(", ".join(found))
    return 0 if found else 1
