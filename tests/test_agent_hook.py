"""`smoke agent-hook HARNESS EVENT`: the real `smoke`, real scratch repositories, each harness's documented JSON on stdin.

The harnesses cannot run here (they need their model services), so each test
feeds the input shape the harness's documentation gives, named in the test,
and asserts on stdout, stderr and the exit code.
"""
from __future__ import annotations

import json
import time

import pytest
from helpers import Repo

MANIFEST = """\
[[scenario]]
name = "login_redirect"
run = "cat src/login.txt"
paths = ["src/**"]
[scenario.expect]
stdout_contains = ["Location: /home"]
"""


def _guarded(repo: Repo, manifest: str = MANIFEST) -> None:
    """A repository whose scenario guards src/ and passes at HEAD."""
    repo.write("src/login.txt", "Location: /home\n")
    repo.manifest(manifest)
    repo.commit("base")


def _break(repo: Repo) -> None:
    """The agent's change: uncommitted, and breaking the scenario that guards it."""
    repo.write("src/login.txt", "Location: /nowhere\n")


def _hook(repo: Repo, harness: str, event: str, payload: dict[str, object], *args: str,
          env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return repo.smoke("agent-hook", harness, event, *args, input=json.dumps(payload), env=env)


# ---------------------------------------------------------------- stop inputs, as documented


def claude_stop(repo: Repo, event: str = "Stop") -> dict[str, object]:
    # code.claude.com/docs/en/hooks: common fields, then Stop's stop_hook_active and last_assistant_message;
    # SubagentStop adds agent_id, agent_type, agent_transcript_path.
    payload: dict[str, object] = {
        "session_id": "abc123", "transcript_path": "/tmp/t.jsonl", "cwd": str(repo.path),
        "permission_mode": "default", "hook_event_name": event, "stop_hook_active": False,
        "last_assistant_message": "Done: the login redirect is fixed.",
    }
    if event == "SubagentStop":
        payload.update(agent_id="a1", agent_type="general-purpose", agent_transcript_path="/tmp/a1.jsonl")
    return payload


def codex_stop(repo: Repo) -> dict[str, object]:
    # openai/codex codex-rs/hooks/schema/generated/stop.command.input.schema.json (every required field).
    return {
        "cwd": str(repo.path), "hook_event_name": "Stop", "last_assistant_message": "Done.", "model": "gpt-5",
        "permission_mode": "default", "session_id": "s-1", "stop_hook_active": False,
        "transcript_path": None, "turn_id": "t-1",
    }


def copilot_stop(repo: Repo) -> dict[str, object]:
    # docs.github.com/en/copilot/reference/hooks-configuration: every hook gets timestamp and cwd.
    return {"timestamp": 1764662400000, "cwd": str(repo.path), "sessionId": "c-1"}


def gemini_stop(repo: Repo) -> dict[str, object]:
    # google-gemini/gemini-cli docs/hooks/reference.md: base input plus AfterAgent's prompt,
    # prompt_response and stop_hook_active.
    return {
        "session_id": "g-1", "transcript_path": "/tmp/g.json", "cwd": str(repo.path), "hook_event_name": "AfterAgent",
        "timestamp": "2026-12-02T06:00:00Z", "prompt": "fix the login redirect", "prompt_response": "Fixed.",
        "stop_hook_active": False,
    }


def cursor_stop(repo: Repo) -> dict[str, object]:
    # cursor.com/docs/agent/hooks (as quoted by eqtylab cupcake and CorridorSecurity/hookshot):
    # common fields, then stop's status and loop_count.
    return {
        "conversation_id": "conv-1", "generation_id": "gen-1", "hook_event_name": "stop",
        "workspace_roots": [str(repo.path)], "status": "completed", "loop_count": 0,
    }


def _block_reason(harness: str, stdout: str) -> str:
    """The refusal as each harness reads it."""
    answer = json.loads(stdout)
    if harness == "gemini":
        assert answer["decision"] == "deny"
        return str(answer["reason"])
    if harness == "cursor":
        return str(answer["followup_message"])
    assert answer["decision"] == "block"
    return str(answer["reason"])


# The document each input shape (and each expected answer) comes from.
SOURCES = {
    "claude": "code.claude.com/docs/en/hooks",
    "codex": "openai/codex codex-rs/hooks/schema/generated/ (stop/pre-tool-use command input and output)",
    "copilot": "docs.github.com/en/copilot/reference/hooks-configuration; copilot-sdk-java AgentStopHookOutput",
    "gemini": "google-gemini/gemini-cli docs/hooks/reference.md",
    "cursor": "cursor.com/docs/agent/hooks (as quoted by eqtylab cupcake and CorridorSecurity/hookshot)",
}

STOPS = [
    ("claude", "Stop", claude_stop),
    ("claude", "SubagentStop", lambda r: claude_stop(r, "SubagentStop")),
    ("codex", "Stop", codex_stop),
    ("copilot", "agentStop", copilot_stop),
    ("gemini", "AfterAgent", gemini_stop),
    ("cursor", "stop", cursor_stop),
]


@pytest.mark.parametrize(("harness", "event", "payload"), STOPS, ids=[f"{h}-{e}" for h, e, _ in STOPS])
def test_stop_is_refused_naming_the_broken_scenario(repo: Repo, harness: str, event: str, payload) -> None:  # type: ignore[no-untyped-def]
    """Each harness's documented stop input (SOURCES[harness]); its own refusal back."""
    _guarded(repo)
    _break(repo)
    res = _hook(repo, harness, event, payload(repo))
    assert res.returncode == 0, f"{SOURCES[harness]}: {res.stderr}"
    reason = _block_reason(harness, res.stdout)
    assert "you are not done" in reason
    assert "login_redirect" in reason
    assert "tests/smoke/manifest.toml:6" in reason  # the line of the broken assertion
    assert "stdout_contains: expected stdout to contain: Location: /home" in reason  # the failed check
    assert "| Location: /nowhere" in reason  # what it printed instead
    assert "full output: .git/smoke/runs/" in reason  # where the whole output was saved
    assert "smoke run login_redirect" in reason  # how to run it


@pytest.mark.parametrize(("harness", "event", "payload"), STOPS, ids=[f"{h}-{e}" for h, e, _ in STOPS])
def test_stop_passes_a_clean_tree(repo: Repo, harness: str, event: str, payload) -> None:  # type: ignore[no-untyped-def]
    """Each harness's documented stop input (SOURCES[harness]); no refusal when the guarding scenario passes."""
    _guarded(repo)
    repo.write("src/login.txt", "Location: /home\nX-Extra: 1\n")  # a change the scenario guards, still passing
    res = _hook(repo, harness, event, payload(repo))
    assert res.returncode == 0, res.stderr
    out = res.stdout.strip()
    # Passing: no refusal. Claude Code and Copilot read silence; the others read an empty object.
    assert out in ("", "{}"), out
    assert "1 scenario(s) guarding your change passed" in res.stderr


def test_stop_gates_commits_since_the_merge_base(repo: Repo) -> None:
    """code.claude.com/docs/en/hooks Stop input; the agent committed its broken change on a branch."""
    _guarded(repo)
    repo.git("checkout", "-q", "-b", "feature")
    _break(repo)
    repo.commit("agent: change the redirect")
    res = _hook(repo, "claude", "Stop", claude_stop(repo))
    assert "login_redirect" in _block_reason("claude", res.stdout)


def test_stop_gates_the_task_from_the_environment(repo: Repo) -> None:
    """code.claude.com/docs/en/hooks Stop input; the task comes from WG_TASK_ID and owns a scenario by name."""
    repo.manifest('[[scenario]]\nname = "owned"\nrun = "echo role=worker"\nowners = ["fix-login"]\n'
                  '[scenario.expect]\nstdout_contains = ["role=coordinator"]\n')
    repo.commit("base")
    res = _hook(repo, "claude", "Stop", claude_stop(repo), env={"WG_TASK_ID": "fix-login"})
    reason = _block_reason("claude", res.stdout)
    assert "refuses task 'fix-login'" in reason and "owned" in reason
    assert "smoke gate --task fix-login" in reason


def test_stop_refuses_a_weakened_suite_without_naming_an_override(repo: Repo) -> None:
    """code.claude.com/docs/en/hooks Stop input; the agent moved the scenario's paths away instead of fixing the code."""
    _guarded(repo)
    repo.git("checkout", "-q", "-b", "feature")
    _break(repo)
    repo.manifest(MANIFEST.replace('paths = ["src/**"]', 'paths = ["docs/**"]'))
    res = _hook(repo, "claude", "Stop", claude_stop(repo))
    reason = _block_reason("claude", res.stdout)
    assert "the smoke suite was weakened" in reason
    assert "path 'src/**' was removed" in reason
    for name in ("SMOKE_ALLOW_SHRINK", "SMOKE_AGENT_OVERRIDE", "SMOKE_SKIP_SMOKE"):
        assert name not in res.stdout + res.stderr


def test_a_persons_override_in_the_hooks_environment_does_not_pass_a_weakened_suite(repo: Repo) -> None:
    """Review: the hook's children took the harness's environment for a person's, so a SMOKE_ALLOW_SHRINK=1
    there let an agent's weakened suite stop. The children are an agent's gate whatever that environment holds."""
    _guarded(repo)
    repo.git("checkout", "-q", "-b", "feature")
    _break(repo)
    repo.manifest(MANIFEST.replace('paths = ["src/**"]', 'paths = ["docs/**"]'))
    res = _hook(repo, "claude", "Stop", claude_stop(repo), env={"SMOKE_ALLOW_SHRINK": "1", "SMOKE_SKIP_SMOKE": "1"})
    reason = _block_reason("claude", res.stdout)
    assert "path 'src/**' was removed" in reason
    assert "SMOKE_ALLOW_SHRINK" not in res.stdout + res.stderr


def test_stop_reads_the_repository_s_own_manifest(repo: Repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """code.claude.com/docs/en/hooks Stop input; a manifest variable pointing at an empty manifest changes nothing."""
    _guarded(repo)
    _break(repo)
    elsewhere = tmp_path / "empty.toml"
    elsewhere.write_text("")
    res = _hook(repo, "claude", "Stop", claude_stop(repo), env={"SMOKE_MANIFEST": str(elsewhere)})
    assert "login_redirect" in _block_reason("claude", res.stdout)


# ---------------------------------------------------------------- fail closed


def test_stop_with_a_bad_manifest_is_refused(repo: Repo) -> None:
    """code.claude.com/docs/en/hooks: only exit 2 or a JSON decision blocks, so a broken manifest answers JSON."""
    repo.manifest("[[scenario]\nname = 'x'\n")
    repo.commit("broken manifest")
    res = _hook(repo, "claude", "Stop", claude_stop(repo))
    assert res.returncode == 0
    reason = _block_reason("claude", res.stdout)
    assert "cannot check your work" in reason and "manifest.toml" in reason


def test_stop_with_unreadable_input_is_refused(repo: Repo) -> None:
    """openai/codex output_parser.rs: a block needs a non-empty reason; bad stdin still gets one."""
    res = repo.smoke("agent-hook", "codex", "Stop", input="this is not json")
    assert res.returncode == 0
    assert "could not read the hook's input as JSON" in _block_reason("codex", res.stdout)


def test_stop_outside_a_repository_is_refused(tmp_path, home) -> None:  # type: ignore[no-untyped-def]
    """google-gemini/gemini-cli docs/hooks/reference.md AfterAgent input, in a folder git does not know."""
    import os
    import subprocess

    from helpers import SMOKE

    lone = tmp_path / "lone"
    lone.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMOKE_", "WG_", "GIT_")) and k not in ("CLAUDE_PROJECT_DIR", "GEMINI_PROJECT_DIR")}
    env["HOME"] = str(home)
    payload = {"session_id": "g", "cwd": str(lone), "hook_event_name": "AfterAgent", "prompt": "p", "prompt_response": "r"}
    res = subprocess.run([SMOKE, "agent-hook", "gemini", "AfterAgent"], cwd=lone, env=env, input=json.dumps(payload),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0
    assert "not inside a git repository" in _block_reason("gemini", res.stdout)


def test_unknown_event_refuses_instead_of_exiting_one(repo: Repo) -> None:
    """code.claude.com/docs/en/hooks: exit 1 would let Claude go on; an event we do not know blocks."""
    res = _hook(repo, "claude", "Stopp", claude_stop(repo))
    assert res.returncode == 0
    assert "does not know the Claude Code event 'Stopp'" in _block_reason("claude", res.stdout)


# ---------------------------------------------------------------- time


def test_stop_answers_before_its_deadline_blocking_on_what_did_not_finish(repo: Repo) -> None:
    """code.claude.com/docs/en/hooks Stop input; a scenario slower than the hook's deadline."""
    _guarded(repo, MANIFEST + '\n[[scenario]]\nname = "slow_login"\nrun = "sleep 60; echo Location: /home"\n'
                              'paths = ["src/**"]\n[scenario.expect]\nstdout_contains = ["Location: /home"]\n')
    repo.write("src/login.txt", "Location: /home\nX: 1\n")
    started = time.monotonic()
    res = _hook(repo, "claude", "Stop", claude_stop(repo), "--deadline", "6")
    elapsed = time.monotonic() - started
    assert res.returncode == 0, res.stderr
    reason = _block_reason("claude", res.stdout)
    assert "did not finish within this hook's 6 s" in reason and "slow_login" in reason
    assert "count as not passed: slow_login." in reason  # the fast one finished and passed
    assert "smoke run slow_login`" in reason
    assert elapsed < 20, elapsed  # the scenario sleeps 60 s; the hook answers at its deadline


def test_a_hook_killed_by_its_harness_leaves_no_scenario_running(repo: Repo) -> None:
    """A harness ends a hook past its timeout (code.claude.com/docs/en/hooks "timeout"); nothing it started survives.

    The process_mark fixture fails the test if any process of it is left.
    """
    import signal
    import subprocess

    from helpers import SMOKE

    _guarded(repo, MANIFEST.replace('run = "cat src/login.txt"', 'run = "sleep 60; cat src/login.txt"'))
    _break(repo)
    hook = subprocess.Popen([SMOKE, "agent-hook", "claude", "Stop", "--deadline", "120"], cwd=repo.path, env=repo.env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert hook.stdin is not None
    hook.stdin.write(json.dumps(claude_stop(repo)))
    hook.stdin.close()
    time.sleep(3)  # the scenario is running by now
    hook.send_signal(signal.SIGKILL)
    hook.wait(timeout=30)
    for stream in (hook.stdout, hook.stderr):
        assert stream is not None
        stream.close()


# ---------------------------------------------------------------- the loop rule


def test_repeated_refusals_on_an_unchanged_failure_let_the_agent_stop_loudly(repo: Repo) -> None:
    """code.claude.com/docs/en/hooks: "systemMessage" is shown to the person; the gate itself stays shut."""
    _guarded(repo)
    _break(repo)
    for _ in range(2):
        res = _hook(repo, "claude", "Stop", claude_stop(repo), "--tries", "2")
        assert json.loads(res.stdout)["decision"] == "block"
    res = _hook(repo, "claude", "Stop", claude_stop(repo), "--tries", "2")
    assert res.returncode == 0
    answer = json.loads(res.stdout)
    assert "decision" not in answer
    assert "let the agent stop after 2 refusals" in answer["systemMessage"]
    assert "NOT a pass" in answer["systemMessage"] and "NOT a pass" in res.stderr
    # wg done, commits and pushes run the gate afresh: still refused.
    assert repo.smoke("gate", "--stage", "done", "--task", "fix-login", "src/login.txt").returncode == 1
    # A change to the work starts the count again.
    repo.write("src/login.txt", "Location: /elsewhere\n")
    res = _hook(repo, "claude", "Stop", claude_stop(repo), "--tries", "2")
    assert json.loads(res.stdout)["decision"] == "block"


# ---------------------------------------------------------------- pre-tool inputs, as documented


def claude_pretool(repo: Repo, command: str) -> dict[str, object]:
    # code.claude.com/docs/en/hooks: PreToolUse adds tool_name, tool_input (Bash: command), tool_use_id.
    return {
        "session_id": "abc123", "transcript_path": "/tmp/t.jsonl", "cwd": str(repo.path), "permission_mode": "default",
        "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": command, "description": "commit"}, "tool_use_id": "toolu_01",
    }


def codex_pretool(repo: Repo, command: str) -> dict[str, object]:
    # openai/codex codex-rs/hooks/schema/generated/pre-tool-use.command.input.schema.json.
    return {
        "cwd": str(repo.path), "hook_event_name": "PreToolUse", "model": "gpt-5", "permission_mode": "default",
        "session_id": "s-1", "tool_input": {"command": command}, "tool_name": "Bash", "tool_use_id": "call_1",
        "transcript_path": None,
    }


def copilot_pretool(repo: Repo, command: str) -> dict[str, object]:
    # docs.github.com/en/copilot/reference/hooks-configuration: toolName, and toolArgs as a JSON string.
    return {"timestamp": 1764662400000, "cwd": str(repo.path), "toolName": "bash",
            "toolArgs": json.dumps({"command": command, "description": "commit"})}


def gemini_pretool(repo: Repo, command: str) -> dict[str, object]:
    # google-gemini/gemini-cli docs/hooks/reference.md BeforeTool: tool_name, tool_input.
    return {"session_id": "g-1", "transcript_path": "/tmp/g.json", "cwd": str(repo.path), "hook_event_name": "BeforeTool",
            "timestamp": "2026-12-02T06:00:00Z", "tool_name": "run_shell_command", "tool_input": {"command": command}}


def cursor_pretool(repo: Repo, command: str) -> dict[str, object]:
    # cursor.com/docs/agent/hooks beforeShellExecution: command and cwd beside the common fields.
    return {"conversation_id": "conv-1", "generation_id": "gen-1", "hook_event_name": "beforeShellExecution",
            "workspace_roots": [str(repo.path)], "command": command, "cwd": str(repo.path)}


def _denied(harness: str, stdout: str) -> str | None:
    """The denial's reason as each harness reads it; None when the command may run."""
    if not stdout.strip():
        return None
    answer = json.loads(stdout)
    if harness in ("claude", "codex"):
        out = answer.get("hookSpecificOutput")
        if not out:
            return None
        assert out["hookEventName"] == "PreToolUse"
        return str(out["permissionDecisionReason"]) if out["permissionDecision"] == "deny" else None
    if harness == "copilot":
        return str(answer["permissionDecisionReason"]) if answer.get("permissionDecision") == "deny" else None
    if harness == "gemini":
        return str(answer["reason"]) if answer.get("decision") == "deny" else None
    assert answer["permission"] in ("allow", "deny")
    if answer["permission"] == "deny":
        assert answer["user_message"] == answer["agent_message"]
        return str(answer["agent_message"])
    return None


PRETOOLS = [
    ("claude", "PreToolUse", claude_pretool),
    ("codex", "PreToolUse", codex_pretool),
    ("copilot", "preToolUse", copilot_pretool),
    ("gemini", "BeforeTool", gemini_pretool),
    ("cursor", "beforeShellExecution", cursor_pretool),
]


@pytest.mark.parametrize(("harness", "event", "payload"), PRETOOLS, ids=[h for h, _, _ in PRETOOLS])
def test_pretool_denies_a_way_round_and_allows_a_look_alike(repo: Repo, harness: str, event: str, payload) -> None:  # type: ignore[no-untyped-def]
    """Each harness's documented pre-tool input (SOURCES[harness]); its own denial back, and silence or allow."""
    assert harness in SOURCES
    res = _hook(repo, harness, event, payload(repo, "git add -A && git commit --no-verify -m 'fix'"))
    assert res.returncode == 0, res.stderr
    reason = _denied(harness, res.stdout)
    assert reason is not None and "skips git's hooks" in reason and "Instead:" in reason
    log = (repo.path / ".git" / "smoke" / "audit.log").read_text()
    assert '"action": "agent-command-denied"' in log

    res = _hook(repo, harness, event, payload(repo, "git commit -m 'docs: why --no-verify is refused'"))
    assert res.returncode == 0, res.stderr
    assert _denied(harness, res.stdout) is None
    if harness == "codex":
        assert res.stdout == ""  # codex-rs output_parser.rs rejects "allow" without updatedInput


def test_pretool_leaves_other_tools_alone(repo: Repo) -> None:
    """code.claude.com/docs/en/hooks: PreToolUse also fires for Edit, Write...; only the shell is judged."""
    payload = claude_pretool(repo, "")
    payload.update(tool_name="Write", tool_input={"file_path": "x", "content": "git commit --no-verify"})
    res = _hook(repo, "claude", "PreToolUse", payload)
    assert (res.returncode, res.stdout) == (0, "")


def test_pretool_with_unreadable_input_denies(repo: Repo) -> None:
    """docs.github.com/en/copilot/reference/hooks-configuration: a deny is the only refusal Copilot reads."""
    res = repo.smoke("agent-hook", "copilot", "preToolUse", input="{not json")
    assert res.returncode == 0
    assert "could not read the hook's input" in (_denied("copilot", res.stdout) or "")


def test_a_smoke_module_at_the_top_does_not_pass_the_stop(repo: Repo) -> None:
    """Red-team review: the stop hook's children ran `python -m smoke` from the top of
    the repository, where an agent's smoke/__main__.py printing a passing JSON stood in for smoke-gate."""
    _guarded(repo)
    _break(repo)
    repo.write("smoke/__init__.py", "")
    repo.write("smoke/__main__.py", 'print(\'{"version": 1, "results": [{"name": "login_redirect", "status": "pass"}]}\')\n')
    res = _hook(repo, "claude", "Stop", claude_stop(repo))
    assert res.returncode == 0, res.stderr
    assert "login_redirect" in _block_reason("claude", res.stdout)
