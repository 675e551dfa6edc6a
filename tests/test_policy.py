"""Who counts as an agent for a bypass or an override: never decided by the work tree's manifest alone."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import Repo

from smoke.agents.harnesses import AGENT_VARS
from smoke.policy import agent_names

MANIFEST = """
[[scenario]]
name = "login_works"
run = "echo login ok"
owners = ["fix-login"]
[scenario.expect]
stdout_contains = ["login ok"]
"""

REFUSED = "smoke gate: --skip-smoke refused: the caller is an agent ({} is set)."


def _skip(repo: Repo, env: dict[str, str]):  # type: ignore[no-untyped-def]
    return repo.smoke("gate", "--task", "t1", "--stage", "done", "--skip-smoke", env=env)


def _audit_log(repo: Repo) -> list[dict[str, object]]:
    path = repo.path / ".git" / "smoke" / "audit.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# ---------------------------------------------------------------- pure


def test_agent_names_always_start_with_the_default_agent_variables() -> None:
    # WG_AGENT_ID, CLAUDECODE, then the variables the agent harnesses set (smoke/agents/harnesses.py).
    default = list(dict.fromkeys(["WG_AGENT_ID", "CLAUDECODE", *AGENT_VARS]))
    assert agent_names([]) == default
    assert agent_names([{"settings": {"agent_env": ["NOT_SET"]}}]) == [*default, "NOT_SET"]
    docs = [{"settings": {"agent_env": ["A", "WG_AGENT_ID"]}}, None, {"settings": {"agent_env": "B"}}, {"settings": 1},
            {"settings": {"agent_env": ["B", 3, ""]}}]
    assert agent_names(docs) == [*default, "A", "B"]


# ---------------------------------------------------------------- smoke gate --skip-smoke


def test_editing_agent_env_in_the_work_tree_does_not_hide_wg_agent_id(repo: Repo) -> None:
    repo.manifest('[settings]\nagent_env = ["NOT_SET"]\n' + MANIFEST)
    res = _skip(repo, {"WG_AGENT_ID": "agent-7"})
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr.startswith(REFUSED.format("WG_AGENT_ID"))
    assert _audit_log(repo) == []


@pytest.mark.parametrize("now", [
    MANIFEST,  # agent_env dropped from the work tree
    '[settings]\nagent_env = ["NOT_SET"]\n' + MANIFEST,  # replaced
    '[settings]\nagent_env = ["MY_BOT"\n' + MANIFEST,  # broken so that it does not load at all
    None,  # deleted
])
def test_the_committed_agent_env_counts_whatever_the_work_tree_says(repo: Repo, now: str | None) -> None:
    repo.manifest('[settings]\nagent_env = ["MY_BOT"]\n' + MANIFEST)
    assert repo.commit("settings").returncode == 0
    path = repo.path / "tests/smoke/manifest.toml"
    if now is None:
        path.unlink()
    else:
        path.write_text(now)
    res = _skip(repo, {"MY_BOT": "1"})
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr.startswith(REFUSED.format("MY_BOT"))
    assert _audit_log(repo) == []


def test_a_manifest_elsewhere_does_not_hide_the_committed_default_one(repo: Repo) -> None:
    repo.manifest('[settings]\nagent_env = ["MY_BOT"]\n' + MANIFEST)
    assert repo.commit("settings").returncode == 0
    other = repo.write("elsewhere/manifest.toml", MANIFEST)
    res = _skip(repo, {"MY_BOT": "1", "SMOKE_MANIFEST": str(other)})
    assert res.returncode == 1
    assert res.stderr.startswith(REFUSED.format("MY_BOT"))


def test_a_human_still_bypasses_and_an_override_no_longer_lets_an_agent_through(repo: Repo) -> None:
    repo.manifest('[settings]\nagent_env = ["MY_BOT"]\n' + MANIFEST)
    assert repo.commit("settings").returncode == 0
    repo.manifest(MANIFEST)
    res = _skip(repo, {})
    assert res.returncode == 0, res.stderr
    res = _skip(repo, {"MY_BOT": "1", "WG_SMOKE_AGENT_OVERRIDE": "1"})
    assert res.returncode == 1, res.stderr
    assert "IGNORED: WG_SMOKE_AGENT_OVERRIDE is set" in res.stderr
    (human,) = _audit_log(repo)
    assert (human["agent"], "override" in human) == ({}, False)


@pytest.mark.parametrize("stage", ["pre-commit", "done"])
def test_the_normal_gate_never_loads_the_policy(repo: Repo, stage: str) -> None:
    # Reading the committed manifest costs GitPython: only a bypass may pay for it.
    # At done the manifest is compared with HEAD's by its bytes: unchanged, nothing is parsed.
    repo.manifest(MANIFEST)
    assert repo.commit("manifest").returncode == 0
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "smoke", "gate", "--stage", stage, "--task", "fix-login"],
        cwd=repo.path, env=repo.env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 0, res.stderr
    modules = {line.rsplit("|", 1)[-1].strip() for line in res.stderr.splitlines() if line.startswith("import time:")}
    assert "smoke.policy" not in modules
    assert "git" not in modules
    assert "smoke.growonly" not in modules


def test_agent_env_at_the_fork_from_the_base_branch_counts(repo: Repo) -> None:
    repo.manifest('[settings]\nagent_env = ["MY_BOT"]\n' + MANIFEST)
    assert repo.commit("settings").returncode == 0
    repo.git("checkout", "-q", "-b", "wg/fix-login")
    # The agent commits the name away on its branch: neither HEAD nor the work tree lists it.
    repo.manifest(MANIFEST)
    assert repo.commit("drop MY_BOT, skipping the hooks").returncode == 0
    res = _skip(repo, {"MY_BOT": "1"})
    assert (res.returncode, res.stdout) == (1, ""), res.stderr
    assert res.stderr.startswith(REFUSED.format("MY_BOT"))
    assert _audit_log(repo) == []
    # Also when the branch names another base_ref, and for SMOKE_ALLOW_SHRINK.
    repo.manifest('[settings]\nbase_ref = "wg/fix-login"\n' + MANIFEST.replace('owners = ["fix-login"]', "owners = []"))
    res = repo.smoke("check", "--grow-only", env={"SMOKE_ALLOW_SHRINK": "1", "MY_BOT": "1"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "SMOKE_ALLOW_SHRINK is not honoured for agents (MY_BOT is set)" in res.stdout
    assert _audit_log(repo) == []


def test_agent_env_at_the_fork_from_the_remote_default_branch_counts(repo: Repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    repo.manifest('[settings]\nagent_env = ["MY_BOT"]\n' + MANIFEST)
    assert repo.commit("settings").returncode == 0
    bare = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(bare))
    repo.git("remote", "add", "origin", str(bare))
    repo.git("push", "-q", "origin", "main")
    # The agent works on main itself: only origin/main still has the name.
    repo.manifest(MANIFEST)
    assert repo.commit("drop MY_BOT, skipping the hooks").returncode == 0
    res = _skip(repo, {"MY_BOT": "1"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stderr.startswith(REFUSED.format("MY_BOT"))


# ---------------------------------------------------------------- smoke check --grow-only, SMOKE_ALLOW_SHRINK


def test_allow_shrink_counts_the_committed_agent_env_even_against_an_older_base(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    assert repo.commit("manifest").returncode == 0
    repo.git("branch", "old")
    repo.manifest('[settings]\nagent_env = ["MY_BOT"]\n' + MANIFEST)
    assert repo.commit("settings").returncode == 0
    # Neither the base (old) nor the work tree names MY_BOT; HEAD does.
    repo.manifest(MANIFEST.replace('owners = ["fix-login"]', "owners = []"))
    res = repo.smoke("check", "--grow-only", "--base", "old", env={"SMOKE_ALLOW_SHRINK": "1", "MY_BOT": "1"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout.splitlines()[-1] == (
        "smoke check --grow-only refused: SMOKE_ALLOW_SHRINK is not honoured for agents (MY_BOT is set)."
        " Restore what was removed; only a human may shrink the smoke suite."
    )
    assert _audit_log(repo) == []
    res = repo.smoke("check", "--grow-only", "--base", "old", env={"SMOKE_ALLOW_SHRINK": "1"})
    assert res.returncode == 0, res.stdout + res.stderr
    (entry,) = _audit_log(repo)
    assert entry["action"] == "allow-shrink"


# ---------------------------------------------------------------- the decisions, as functions (no subprocess)


@pytest.fixture
def human(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in AGENT_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("SMOKE_ALLOW_SHRINK", raising=False)


def test_allow_shrink_decides_and_the_door_only_prints(repo: Repo, human: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from smoke import policy

    repo.manifest(MANIFEST)
    path = repo.path / "tests/smoke/manifest.toml"
    refused = policy.allow_shrink(repo.path, path, [], 2, "since HEAD")
    assert not refused.allowed
    assert refused.message.startswith("smoke check --grow-only refused: 2 removal(s) or weakening(s) since HEAD (restore")
    monkeypatch.setenv("SMOKE_ALLOW_SHRINK", "1")
    allowed = policy.allow_shrink(repo.path, path, [], 2, "since HEAD")
    assert allowed.allowed and "SMOKE_ALLOW_SHRINK=1: 2 removal(s)" in allowed.message
    assert "WG_AGENT_ID" in allowed.agent_env
    monkeypatch.setenv("WG_AGENT_ID", "a1")
    agent = policy.allow_shrink(repo.path, path, [], 2, "since HEAD")
    assert not agent.allowed
    assert "SMOKE_ALLOW_SHRINK is not honoured for agents (WG_AGENT_ID is set)" in agent.message


def test_skip_smoke_is_never_allowed_for_an_agent(repo: Repo, human: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from smoke import policy

    repo.manifest(MANIFEST)
    path = repo.path / "tests/smoke/manifest.toml"
    assert policy.skip_smoke(path, repo.path, "t1").allowed
    monkeypatch.setenv("WG_AGENT_ID", "a1")
    decision = policy.skip_smoke(path, repo.path, "t1")
    assert not decision.allowed
    assert decision.message.startswith(REFUSED.format("WG_AGENT_ID"))
    assert "'smoke allow --task t1 --reason ...'" in decision.message
    assert not policy.skip_smoke(None, None, None).allowed
