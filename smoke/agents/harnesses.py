"""What each agent harness is: its project configuration, its events, the variables it sets.

Pure data, imported by `policy` on the gate's path: no imports here.

Every protocol detail carries the document or source file it was read from.
Where only a secondary source exists (a maintainer's observation, a library
that reads the same protocol), the note says so: docs/agents.md lists those
as unverified.
"""
from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any


class AgentVar:
    """An environment variable a harness sets in the commands its agent runs."""

    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source


class Harness:
    """One harness: where its hooks live and how a hook entry is written there.

    `stop_events` and `pretool_event` are the event names as the harness spells
    them (the keys of its `hooks` object). `stop_timeout`/`pretool_timeout` are
    what `smoke install` writes into the hook entry, in `timeout_unit`; None
    when the harness has no verified field for it (then `stop_deadline` is our
    own guess of its limit). The stop hook answers `margin` seconds before
    the written timeout.
    """

    def __init__(
        self,
        name: str,
        title: str,
        config: str,
        stop_events: tuple[str, ...],
        pretool_event: str,
        agent_vars: tuple[AgentVar, ...],
        *,
        grouped: bool,
        command_key: str,
        timeout_key: str | None,
        timeout_unit: int,
        stop_timeout: int | None,
        pretool_timeout: int | None,
        shell_tool: str | None,
        root: dict[str, Any] | None = None,
        stop_extra: dict[str, Any] | None = None,
        fallback_stop: str,
        fallback_pretool: str,
        after_install: str = "",
        named: bool = False,
        sources: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.title = title
        self.config = config
        self.stop_events = stop_events
        self.pretool_event = pretool_event
        self.agent_vars = agent_vars
        self.grouped = grouped  # entries sit in {"matcher":..., "hooks": [...]} groups (Claude's shape)
        self.command_key = command_key
        self.timeout_key = timeout_key
        self.timeout_unit = timeout_unit  # 1 for seconds, 1000 for milliseconds
        self.stop_timeout = stop_timeout
        self.pretool_timeout = pretool_timeout
        self.shell_tool = shell_tool  # the matcher naming the shell tool; None: the event is shell-only
        self.root = root or {}  # keys the file must have at its top (Copilot's and Cursor's "version")
        self.stop_extra = stop_extra or {}
        self.fallback_stop = fallback_stop  # shell text after `||`: the answer when `smoke` cannot run
        self.fallback_pretool = fallback_pretool
        self.after_install = after_install
        self.named = named  # entries carry a "name" (Gemini CLI's /hooks enable|disable use it)
        self.sources = sources

    @property
    def events(self) -> tuple[str, ...]:
        return (*self.stop_events, self.pretool_event)

    def deadline(self, timeout: float | None = None) -> float:
        """Seconds the stop hook may use: below `timeout` (default: the one written, or assumed, for it)."""
        timeout = self.stop_timeout if timeout is None else timeout
        if timeout is None:
            return STOP_DEADLINE_UNKNOWN_TIMEOUT
        return max(1.0, float(timeout - max(5, int(timeout) // 10)))


# When a harness has no timeout field we could verify, the stop hook answers
# within this many seconds: under a minute, the shortest limit seen in the
# harnesses that do document one (Gemini CLI: 60 s).
STOP_DEADLINE_UNKNOWN_TIMEOUT = 50.0

_FAILED = "smoke-gate could not run its hook, so nothing was checked. Run smoke gate in the repository and fix what it reports"

CLAUDE = Harness(
    "claude", "Claude Code", ".claude/settings.json",
    # code.claude.com/docs/en/hooks: Stop and SubagentStop block with
    # {"decision": "block", "reason"}; PreToolUse denies through
    # hookSpecificOutput.permissionDecision; exit 2 blocks with stderr, any
    # other non-zero exit is a non-blocking error (the hook fails open).
    ("Stop", "SubagentStop"), "PreToolUse",
    # CLAUDECODE=1 is set in every Bash child Claude Code spawns (the SPEC's own
    # example; observed by its readers, e.g. cexll/myclaude's note that 2.1.41+
    # refuses to start a nested session because of it). Not on the env-vars page.
    (AgentVar("CLAUDECODE", "observed: Claude Code 2.1.41+ sets CLAUDECODE=1 in its Bash children (undocumented)"),),
    grouped=True, command_key="command", timeout_key="timeout", timeout_unit=1,
    # Command hooks default to 600 s (code.claude.com/docs/en/hooks, "timeout");
    # we write our own so the deadline below it is ours to know.
    stop_timeout=300, pretool_timeout=30, shell_tool="Bash",
    fallback_stop="exit 2", fallback_pretool="exit 2",
    sources=("code.claude.com/docs/en/hooks",),
)

CODEX = Harness(
    "codex", "OpenAI Codex CLI", ".codex/hooks.json",
    # openai/codex codex-rs/hooks/schema/generated/stop.command.output.schema.json:
    # decision "block" needs a non-empty reason; pre-tool-use.command.output.schema.json
    # and codex-rs/hooks/src/engine/output_parser.rs: permissionDecision "deny"
    # needs a non-empty permissionDecisionReason, and "allow" without
    # updatedInput is rejected, so an allowed command gets no output at all.
    ("Stop",), "PreToolUse",
    # codex-rs/protocol/src/shell_environment.rs: populate_env sets
    # CODEX_THREAD_ID in every shell command's environment.
    (AgentVar("CODEX_THREAD_ID", "openai/codex codex-rs/protocol/src/shell_environment.rs"),),
    grouped=True, command_key="command", timeout_key="timeout", timeout_unit=1,
    stop_timeout=300, pretool_timeout=30,
    # pre-tool-use.command.input.schema.json: tool_name is the constant "Bash".
    shell_tool="Bash",
    fallback_stop="exit 2", fallback_pretool="exit 2",
    # developers.openai.com/codex/hooks: project hooks load only in a trusted
    # project, and a new or changed hook is skipped until trusted in /hooks.
    after_install="open Codex in this repository and trust the new hooks with /hooks: Codex skips an untrusted hook without a word",
    sources=("developers.openai.com/codex/hooks", "openai/codex codex-rs/hooks/schema/generated/"),
)

COPILOT = Harness(
    "copilot", "GitHub Copilot (CLI and coding agent)", ".github/hooks/smoke-gate.json",
    # docs.github.com/en/copilot/reference/hooks-configuration: {"version": 1,
    # "hooks": {"agentStop": [{"type": "command", "bash": ..., "timeoutSec": N}]}},
    # default timeout 30 s; agentStop blocks with {"decision": "block", "reason"}
    # on stdout (exit 2 is only a warning there), preToolUse denies with
    # {"permissionDecision": "deny", "permissionDecisionReason"}. agentStop's
    # answer as GitHub's own SDK types it: copilot-sdk-java AgentStopHookOutput
    # (decision "block" keeps the agent running, reason is its next instruction);
    # its reference entry is github/docs#43876.
    ("agentStop",), "preToolUse",
    # COPILOT_CLI=1 in every command the Copilot CLI and VS Code's agent spawn:
    # observed and reported by maintainers (dynatrace-oss/dtctl#288, dotnet/sdk#54227,
    # Azure/azure-dev#8249), not in GitHub's documentation. COPILOT_AGENT_SESSION_ID:
    # the coding agent's environment as listed in watson/is-ci#28.
    (
        AgentVar("COPILOT_CLI", "observed: dynatrace-oss/dtctl#288, dotnet/sdk#54227 (undocumented)"),
        AgentVar("COPILOT_AGENT_SESSION_ID", "observed: watson/is-ci#28 (coding agent, undocumented)"),
    ),
    grouped=False, command_key="bash", timeout_key="timeoutSec", timeout_unit=1,
    stop_timeout=120, pretool_timeout=30, shell_tool=None,
    root={"version": 1},
    fallback_stop="echo '{\"decision\": \"block\", \"reason\": \"" + _FAILED + "\"}'",
    fallback_pretool="echo '{\"permissionDecision\": \"deny\", \"permissionDecisionReason\": \"" + _FAILED + "\"}'",
    after_install="commit .github/hooks/smoke-gate.json to the default branch: the coding agent reads hooks from there",
    sources=("docs.github.com/en/copilot/reference/hooks-configuration", "github.github.io/copilot-sdk-java AgentStopHookOutput"),
)

GEMINI = Harness(
    "gemini", "Gemini CLI", ".gemini/settings.json",
    # google-gemini/gemini-cli docs/hooks/reference.md: AfterAgent answers
    # {"decision": "deny", "reason"} to reject the response and send the reason
    # as a new prompt; BeforeTool denies the same way; exit 2 blocks with stderr;
    # "timeout" is in milliseconds (default 60000); stdout must hold only JSON.
    ("AfterAgent",), "BeforeTool",
    # packages/core/src/services/shellExecutionService.ts:
    # GEMINI_CLI_IDENTIFICATION_ENV_VAR = 'GEMINI_CLI', value '1', set for shell executions.
    (AgentVar("GEMINI_CLI", "google-gemini/gemini-cli packages/core/src/services/shellExecutionService.ts"),),
    grouped=True, command_key="command", timeout_key="timeout", timeout_unit=1000,
    stop_timeout=300, pretool_timeout=30, shell_tool="run_shell_command",
    fallback_stop="exit 2", fallback_pretool="exit 2",
    # docs/hooks/index.md: hooks run only while the hooks system is enabled
    # (/settings, "Enable Hooks System"; tools.enableHooks in settings.json);
    # a hook's "name" is what /hooks enable|disable and hooks.disabled use.
    after_install="check that Gemini CLI's hooks system is enabled (/settings, Advanced, \"Enable Hooks System\"); /hooks panel lists the smoke-gate hooks",
    named=True,
    sources=("google-gemini/gemini-cli docs/hooks/reference.md", "google-gemini/gemini-cli docs/hooks/index.md"),
)

CURSOR = Harness(
    "cursor", "Cursor", ".cursor/hooks.json",
    # cursor.com/docs/agent/hooks (as its readers quote it: eqtylab cupcake's
    # Cursor reference, CorridorSecurity/hookshot docs/reference-cursor.md):
    # {"version": 1, "hooks": {"stop": [{"command": ..., "loop_limit": N}]}};
    # stop cannot refuse, it may answer {"followup_message"}, sent as the next
    # user message; beforeShellExecution gets {"command", "cwd"} and answers
    # {"permission": "allow"|"deny"|"ask", "user_message", "agent_message"}.
    ("stop",), "beforeShellExecution",
    # CURSOR_AGENT=1 in the agent's terminal (cursor.com/docs/agent/terminal,
    # cited in VerifyTests/DiffEngine#671; read by vercel's detect-agent).
    (AgentVar("CURSOR_AGENT", "cursor.com/docs/agent/terminal"),),
    grouped=False, command_key="command", timeout_key=None, timeout_unit=1,
    stop_timeout=None, pretool_timeout=None, shell_tool=None,
    root={"version": 1}, stop_extra={"loop_limit": 5},
    fallback_stop="echo '{\"followup_message\": \"" + _FAILED + "\"}'",
    fallback_pretool="echo '{\"permission\": \"deny\", \"user_message\": \"" + _FAILED + "\", \"agent_message\": \"" + _FAILED + "\"}'",
    after_install="Cursor's stop hook cannot refuse: it sends the failure back as a follow-up message",
    sources=("cursor.com/docs/agent/hooks",),
)

HARNESSES: dict[str, Harness] = {h.name: h for h in (CLAUDE, CODEX, COPILOT, GEMINI, CURSOR)}

# Every variable any harness sets: the default list of who is an agent.
AGENT_VARS: tuple[str, ...] = tuple(v.name for h in HARNESSES.values() for v in h.agent_vars)
