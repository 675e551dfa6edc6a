"""Each harness's hook protocol: what its JSON on stdin says, and how an answer is written back.

Sources per harness are in smoke/agents/harnesses.py; the shapes used here:

- claude (code.claude.com/docs/en/hooks) and codex (openai/codex
  codex-rs/hooks/schema/generated/): a stop is refused with
  {"decision": "block", "reason"} on stdout and exit 0; a tool call with
  {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision":
  "deny", "permissionDecisionReason"}}. Codex rejects "allow" without
  updatedInput, so an allowed call prints nothing. "systemMessage" is shown to
  the person (both schemas).
- copilot (docs.github.com/en/copilot/reference/hooks-configuration):
  {"decision": "block", "reason"} at agentStop; {"permissionDecision": "deny",
  "permissionDecisionReason"} at preToolUse, whose input names the tool in
  "toolName" and gives its arguments in "toolArgs" (a JSON string, or an object
  in the SDK's and VS Code's readings; snake_case tool_name/tool_input too).
- gemini (gemini-cli docs/hooks/reference.md): {"decision": "deny", "reason"}
  at AfterAgent and BeforeTool; stdout must hold only JSON, so a pass is "{}".
- cursor (cursor.com/docs/agent/hooks): stop can only answer
  {"followup_message"}; beforeShellExecution answers {"permission",
  "user_message", "agent_message"}.
"""
from __future__ import annotations

import json

from smoke.agents.harnesses import Harness

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Answer:
    """What the hook process prints and how it exits."""

    def __init__(self, stdout: dict[str, Any] | None = None, stderr: str = "", code: int = 0) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.code = code

    def text(self) -> str:
        return json.dumps(self.stdout) + "\n" if self.stdout is not None else ""


def shell_command(h: Harness, data: dict[str, Any]) -> str | None:
    """The shell command a pre-tool event is about; None when the tool is not the shell."""
    if h.name == "cursor":
        command = data.get("command")
        return command if isinstance(command, str) else None
    if h.name == "copilot":
        tool = data.get("toolName", data.get("tool_name"))
        args: Any = data.get("toolArgs", data.get("tool_input"))
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                args = {"command": args} if tool in ("bash", "shell", "powershell") else None
        if tool not in ("bash", "shell", "powershell", "Bash", "run_in_terminal", "runInTerminal"):
            return None
    else:
        tool = data.get("tool_name")
        args = data.get("tool_input")
        if tool != h.shell_tool:
            return None
    command = args.get("command") if isinstance(args, dict) else None
    return command if isinstance(command, str) else None


def workdir(h: Harness, data: dict[str, Any]) -> str | None:
    """The folder the agent works in, as the event gives it."""
    cwd = data.get("cwd")
    if isinstance(cwd, str) and cwd:
        return cwd
    roots = data.get("workspace_roots")  # Cursor
    if isinstance(roots, list) and roots and isinstance(roots[0], str):
        return roots[0]
    return None


def session(h: Harness, data: dict[str, Any]) -> str:
    for key in ("session_id", "sessionId", "conversation_id"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return "-"


def deny(h: Harness, message: str) -> Answer:
    if h.name in ("claude", "codex"):
        return Answer({"hookSpecificOutput": {
            "hookEventName": h.pretool_event, "permissionDecision": "deny", "permissionDecisionReason": message,
        }})
    if h.name == "copilot":
        return Answer({"permissionDecision": "deny", "permissionDecisionReason": message})
    if h.name == "gemini":
        return Answer({"decision": "deny", "reason": message})
    return Answer({"permission": "deny", "user_message": message, "agent_message": message})


def allow(h: Harness) -> Answer:
    if h.name == "gemini":
        return Answer({})
    if h.name == "cursor":
        return Answer({"permission": "allow"})
    return Answer()


def block(h: Harness, reason: str) -> Answer:
    """Refuse the stop: the reason goes back to the agent, which keeps working."""
    if h.name == "gemini":
        return Answer({"decision": "deny", "reason": reason})
    if h.name == "cursor":
        return Answer({"followup_message": reason})
    return Answer({"decision": "block", "reason": reason})


def passed(h: Harness, note: str = "") -> Answer:
    """Let the stop through."""
    stderr = note + "\n" if note else ""
    if h.name in ("codex", "gemini", "cursor"):
        return Answer({}, stderr)
    return Answer(None, stderr)


def released(h: Harness, message: str) -> Answer:
    """Let the stop through after too many refusals, saying so to the person (not as a pass)."""
    if h.name in ("claude", "codex", "gemini"):
        return Answer({"systemMessage": message}, message + "\n")
    if h.name == "cursor":
        return Answer({}, message + "\n")
    return Answer(None, message + "\n")
