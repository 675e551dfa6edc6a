"""`smoke install --agent HARNESS`: hooks merged into each harness's project configuration, the user's bytes kept.

The shapes written are each harness's documented configuration (sources in
smoke/agents/harnesses.py); the installed commands are then run the way the
harness runs them (through a shell) against a real scratch repository.
"""
from __future__ import annotations

import difflib
import json
import subprocess

import pytest
from helpers import Repo

from smoke.agents.harnesses import HARNESSES
from smoke.main import AGENT_HARNESSES

ALL = ["--agent", "claude", "--agent", "codex", "--agent", "copilot", "--agent", "gemini", "--agent", "cursor"]

# The user's own configuration, formatted as people do: tabs, odd spacing, unicode, keys we do not know.
CLAUDE_USER = (
    '{\n\t"permissions" : { "allow": ["Bash(npm test:*)"] },\n'
    '\t"hooks": {\n\t\t"Stop": [ {"hooks": [{"type": "command", "command": "say \u00e9t\u00e9 done"}]} ],\n'
    '\t\t"PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "ruff format"}]}]\n\t},\n'
    '\t"model":"opus"\n}\n'
)
GEMINI_USER = '{"theme": "GitHub", "hooks": {}}'
CURSOR_USER = '{\r\n  "version": 1,\r\n  "hooks": {\r\n    "afterFileEdit": [{"command": "./fmt.sh"}]\r\n  }\r\n}\r\n'


def _only_added(before: str, after: str) -> None:
    """Every byte of `before` is still there, in order: the install only inserted text."""
    ops = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    assert all(tag in ("equal", "insert") for tag, *_ in ops), [op for op in ops if op[0] not in ("equal", "insert")]


def test_the_command_line_knows_every_harness() -> None:
    assert tuple(HARNESSES) == AGENT_HARNESSES


def test_install_keeps_the_user_s_configuration_byte_for_byte_and_is_idempotent(repo: Repo) -> None:
    """Shapes: code.claude.com/docs/en/hooks, gemini-cli docs/hooks/reference.md, cursor.com/docs/agent/hooks."""
    users = {".claude/settings.json": CLAUDE_USER, ".gemini/settings.json": GEMINI_USER, ".cursor/hooks.json": CURSOR_USER}
    for rel, text in users.items():
        (repo.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo.path / rel).write_bytes(text.encode())
    res = repo.smoke("install", *ALL)
    assert res.returncode == 0, res.stderr
    for rel, text in users.items():
        after = (repo.path / rel).read_bytes().decode()
        _only_added(text, after)
        json.loads(after)
    assert "\r\n" in (repo.path / ".cursor/hooks.json").read_bytes().decode().split("afterFileEdit")[1]
    claude = json.loads((repo.path / ".claude/settings.json").read_text())
    assert claude["model"] == "opus" and claude["permissions"] == {"allow": ["Bash(npm test:*)"]}
    assert claude["hooks"]["Stop"][0]["hooks"][0]["command"] == "say \u00e9t\u00e9 done"
    assert claude["hooks"]["PostToolUse"][0]["matcher"] == "Edit"
    before = {h.config: (repo.path / h.config).read_bytes() for h in HARNESSES.values()}

    again = repo.smoke("install", *ALL)
    assert again.returncode == 0, again.stderr
    for h in HARNESSES.values():
        assert (repo.path / h.config).read_bytes() == before[h.config], h.name
        assert f"{h.title} hooks already in {h.config}" in again.stdout


def test_each_harness_gets_its_documented_shape(repo: Repo) -> None:
    res = repo.smoke("install", *ALL)
    assert res.returncode == 0, res.stderr
    # code.claude.com/docs/en/hooks: {"hooks": {EVENT: [{"matcher"?, "hooks": [{"type", "command", "timeout"}]}]}}
    claude = json.loads((repo.path / ".claude/settings.json").read_text())["hooks"]
    assert set(claude) == {"Stop", "SubagentStop", "PreToolUse"}
    assert claude["PreToolUse"][0]["matcher"] == "Bash"
    stop = claude["Stop"][0]["hooks"][0]
    assert stop["type"] == "command" and stop["timeout"] == 300
    assert stop["command"].startswith("smoke agent-hook claude Stop --deadline 270 ") and stop["command"].endswith("|| exit 2")
    # openai/codex: the same shape in .codex/hooks.json; the tool is "Bash".
    codex = json.loads((repo.path / ".codex/hooks.json").read_text())["hooks"]
    assert set(codex) == {"Stop", "PreToolUse"} and codex["PreToolUse"][0]["matcher"] == "Bash"
    assert "trust the new hooks with /hooks" in res.stdout
    # docs.github.com/en/copilot/reference/hooks-configuration: version 1, bash, timeoutSec.
    copilot = json.loads((repo.path / ".github/hooks/smoke-gate.json").read_text())
    assert copilot["version"] == 1
    assert copilot["hooks"]["agentStop"][0]["type"] == "command"
    assert copilot["hooks"]["agentStop"][0]["timeoutSec"] == 120
    assert "--deadline 108" in copilot["hooks"]["agentStop"][0]["bash"]
    # gemini-cli docs/hooks/reference.md: timeout in milliseconds; BeforeTool matches run_shell_command.
    gemini = json.loads((repo.path / ".gemini/settings.json").read_text())["hooks"]
    assert gemini["AfterAgent"][0]["hooks"][0]["timeout"] == 300000
    assert gemini["AfterAgent"][0]["hooks"][0]["name"] == "smoke-gate-AfterAgent"
    assert "Enable Hooks System" in res.stdout
    assert gemini["BeforeTool"][0]["matcher"] == "run_shell_command"
    # cursor.com/docs/agent/hooks: version 1, {"command", "loop_limit"} at stop.
    cursor = json.loads((repo.path / ".cursor/hooks.json").read_text())
    assert cursor["version"] == 1 and set(cursor["hooks"]) == {"stop", "beforeShellExecution"}
    assert cursor["hooks"]["stop"][0]["loop_limit"] == 5
    assert "cannot refuse" in res.stdout


def test_agent_timeout_sets_the_hook_s_timeout_and_an_earlier_deadline(repo: Repo) -> None:
    """code.claude.com/docs/en/hooks "timeout" (seconds); gemini-cli docs/hooks/reference.md "timeout" (milliseconds)."""
    res = repo.smoke("install", "--agent", "claude", "--agent", "gemini", "--agent-timeout", "60")
    assert res.returncode == 0, res.stderr
    stop = json.loads((repo.path / ".claude/settings.json").read_text())["hooks"]["Stop"][0]["hooks"][0]
    assert stop["timeout"] == 60 and "--deadline 54 " in stop["command"]
    after = json.loads((repo.path / ".gemini/settings.json").read_text())["hooks"]["AfterAgent"][0]["hooks"][0]
    assert after["timeout"] == 60000 and "--deadline 54 " in after["command"]
    assert repo.smoke("install", "--agent-timeout", "60").returncode == 2


def test_bad_json_is_refused_with_its_line_and_left_alone(repo: Repo) -> None:
    bad = '{\n  "hooks": {\n    "Stop": [,]\n  }\n}\n'
    path = repo.write(".claude/settings.json", bad)
    res = repo.smoke("install", "--agent", "claude", "--agent", "codex")
    assert res.returncode == 2
    assert ".claude/settings.json:3:" in res.stderr and "not valid JSON" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert path.read_text() == bad
    assert not (repo.path / ".codex").exists()  # nothing is written when one configuration cannot be read


def test_hooks_that_are_not_an_object_are_refused(repo: Repo) -> None:
    path = repo.write(".gemini/settings.json", '{\n  "hooks": ["x"]\n}\n')
    res = repo.smoke("install", "--agent", "gemini")
    assert res.returncode == 2
    assert '.gemini/settings.json:2: "hooks" is not an object' in res.stderr
    assert path.read_text() == '{\n  "hooks": ["x"]\n}\n'


def test_unknown_harness_is_a_usage_error(repo: Repo) -> None:
    res = repo.smoke("install", "--agent", "vim")
    assert res.returncode == 2 and "invalid choice: 'vim'" in res.stderr


def _installed_command(repo: Repo, harness: str, event: str) -> str:
    h = HARNESSES[harness]
    hooks = json.loads((repo.path / h.config).read_text())["hooks"][event]
    entry = hooks[-1]["hooks"][0] if h.grouped else hooks[-1]
    return str(entry[h.command_key])


def _run_as_harness(repo: Repo, command: str, payload: dict[str, object], path: str) -> subprocess.CompletedProcess[str]:
    env = dict(repo.env, PATH=path)
    return subprocess.run(["bash", "-c", command], cwd=repo.path, env=env, input=json.dumps(payload),
                          capture_output=True, text=True, timeout=120)


def test_installed_claude_stop_hook_refuses_a_broken_change(repo: Repo) -> None:
    """code.claude.com/docs/en/hooks: the command runs through a shell with the Stop input on stdin."""
    repo.write("src/a.txt", "ok\n")
    repo.manifest('[[scenario]]\nname = "a_ok"\nrun = "cat src/a.txt"\npaths = ["src/**"]\n[scenario.expect]\nstdout_contains = ["ok"]\n')
    repo.commit("base")
    assert repo.smoke("install", "--agent", "claude").returncode == 0
    repo.write("src/a.txt", "bad\n")
    res = _run_as_harness(repo, _installed_command(repo, "claude", "Stop"), {"session_id": "s", "cwd": str(repo.path)},
                          repo.env["PATH"])
    assert res.returncode == 0, res.stderr
    assert res.stdout, res.stderr
    assert json.loads(res.stdout)["decision"] == "block" and "a_ok" in json.loads(res.stdout)["reason"]


@pytest.mark.parametrize(("harness", "event"), [("claude", "Stop"), ("codex", "PreToolUse"), ("gemini", "AfterAgent")])
def test_installed_hook_without_smoke_on_path_blocks_by_exit_2(repo: Repo, harness: str, event: str) -> None:
    """Claude Code, Codex and Gemini CLI docs: exit 2 blocks with stderr; a missing command (127) would not."""
    assert repo.smoke("install", "--agent", harness).returncode == 0
    bare = "/usr/bin:/bin"
    res = _run_as_harness(repo, _installed_command(repo, harness, event), {"cwd": str(repo.path)}, bare)
    assert res.returncode == 2 and "smoke" in res.stderr


@pytest.mark.parametrize(("harness", "event"), [("copilot", "agentStop"), ("copilot", "preToolUse"),
                                                 ("cursor", "stop"), ("cursor", "beforeShellExecution")])
def test_installed_hook_without_smoke_on_path_refuses_in_json(repo: Repo, harness: str, event: str) -> None:
    """Copilot (exit 2 is only a warning) and Cursor read only JSON: the fallback answers JSON."""
    assert repo.smoke("install", "--agent", harness).returncode == 0
    res = _run_as_harness(repo, _installed_command(repo, harness, event), {"cwd": str(repo.path)}, "/usr/bin:/bin")
    answer = json.loads(res.stdout)
    assert "could not run its hook" in json.dumps(answer)
    assert answer.get("decision") == "block" or answer.get("permissionDecision") == "deny" \
        or answer.get("permission") == "deny" or "followup_message" in answer


def test_init_offers_the_agent_hooks_for_the_harnesses_present(repo: Repo) -> None:
    (repo.path / ".claude").mkdir()
    (repo.path / ".cursor").mkdir()
    res = repo.smoke("init")
    assert res.returncode == 0, res.stderr
    assert "smoke install --agent claude --agent cursor" in res.stdout
    block = (repo.path / "AGENTS.md").read_text()
    assert "smoke install --agent" in block


def test_removing_the_installed_agent_hooks_is_refused_by_grow_only(repo: Repo) -> None:
    """Red-team review: an agent deleted Stop and PreToolUse from .claude/settings.json and
    committed; every later session would stop unchecked. Grow-only now refuses it."""
    repo.manifest('[[scenario]]\nname = "ok"\nrun = "echo ok"\nowners = ["t"]\n[scenario.expect]\nstdout_contains = ["ok"]\n')
    assert repo.commit("manifest").returncode == 0
    res = repo.smoke("install", "--agent", "claude", "--agent", "gemini")
    assert res.returncode == 0, res.stderr
    assert repo.commit("agent hooks").returncode == 0
    assert repo.smoke("install").returncode == 0
    # Other settings may change freely.
    settings = json.loads(repo.read(".claude/settings.json"))
    settings["model"] = "opus"
    repo.write(".claude/settings.json", json.dumps(settings, indent=2))
    repo.git("add", "-A")
    res = repo.smoke("check", "--grow-only", "--staged")
    assert res.returncode == 0, res.stdout + res.stderr
    # Dropping the hooks may not.
    del settings["hooks"]
    repo.write(".claude/settings.json", json.dumps(settings, indent=2))
    repo.git("add", "-A")
    before = repo.head()
    res = subprocess.run(["git", "commit", "-m", "quieter"], cwd=repo.path, capture_output=True, text=True,
                         env={**repo.env, "CLAUDECODE": "1"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert repo.head() == before
    assert (".claude/settings.json: smoke-gate's Claude Code hooks were removed (an agent would stop unchecked;"
            " restore them: smoke install --agent claude)") in res.stdout + res.stderr
    # Deleting the file is the same removal; the untouched Gemini settings are not named.
    repo.git("rm", "-q", "--cached", ".claude/settings.json")
    res = repo.smoke("check", "--grow-only", "--staged")
    assert res.returncode == 1 and "Claude Code hooks were removed" in res.stdout
    assert "Gemini" not in res.stdout
