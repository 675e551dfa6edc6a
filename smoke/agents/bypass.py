"""Does a shell command get around the smoke gate? Judged on the words the shell would run.

A command is denied when it would: skip git's hooks (`commit --no-verify`/`-n`,
`--no-verify` on any command that runs hooks, plumbing that commits without
them), point git's hooks elsewhere (`core.hooksPath` by `-c`, `git config` or
git's config variables), skip smoke-gate's pre-commit hooks (`SKIP=`), pass
`--skip-smoke`, set one of the gate's override or redirect variables, clear
the variable that says an agent is running, point the gate at another
manifest, move the base branch it compares against, change how git and the
gate's tools are found or what code they load, or remove, move, overwrite,
relink or disable the git hooks, git's configuration, the manifest, the
scenarios or the agent hooks themselves. Text handed to something that runs
it (a shell's standard input, `su -c`, `tmux`, `xargs`, an interpreter's
strings) is judged as well, and denied when it cannot be read before it runs.

Words, not text: `git commit -m "why --no-verify is refused"` and `grep -n
no-verify` pass, because the flag is a message or a pattern there. An option
built at run time that cannot be resolved counts as a way round.

Messages never name a variable or flag that would let an agent through.
"""
from __future__ import annotations

import os
import posixpath
import re

from smoke.agents import shellwords
from smoke.agents.harnesses import HARNESSES
from smoke.agents.shellwords import Command
from smoke.agents.shellwords import Word

# Variables that let the gate through, shrink the suite, point it elsewhere or feed git configuration.
GATE_VARS = frozenset({
    "SMOKE_SKIP_SMOKE", "SMOKE_AGENT_OVERRIDE", "WG_SMOKE_AGENT_OVERRIDE", "SMOKE_ALLOW_SHRINK",
    "SMOKE_MANIFEST", "WG_SMOKE_MANIFEST", "SMOKE_BIN",
})
GIT_CONFIG_VARS = (
    "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_", "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
)
# Variables that change which code a program loads or runs before its own (the loader, Python, the shell's start files).
RUN_VARS = frozenset({
    "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "BASH_ENV", "ENV", "LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH",
})
# The programs whose code is the gate: git (and the hooks it runs), smoke, wg, pre-commit.
TOOLS = frozenset({"git", "smoke", "wg", "pre-commit"})
# The branches the gate compares the agent's work against (their merge-base); moving one hides commits.
BASE_BRANCHES = ("main", "master", "trunk")
SMOKE_HOOK_IDS = frozenset({"smoke-gate", "smoke-gate-push", "smoke-check", "smoke-grow-only"})
# git commands that run hooks a --no-verify would skip.
HOOK_RUNNERS = frozenset({"commit", "push", "merge", "pull", "rebase", "am", "cherry-pick", "revert"})
# Options of `git commit` whose value is the next word (or the rest of a short cluster).
COMMIT_SHORT_VALUES = set("mFcCt")
COMMIT_SHORT_ATTACHED = set("Su")  # optional value, attached only
COMMIT_LONG_VALUES = (
    "--message", "--file", "--author", "--date", "--reuse-message", "--reedit-message", "--fixup",
    "--squash", "--template", "--cleanup", "--trailer", "--pathspec-from-file", "--reset-author-date",
)
GIT_GLOBAL_VALUES = ("-c", "-C", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env", "--exec-path")
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "busybox"})
WRAPPERS = frozenset({
    "command", "builtin", "exec", "nohup", "time", "nice", "timeout", "stdbuf", "sudo", "doas",
    "setsid", "unbuffer", "chronic", "ionice", "flock", "watch", "caffeinate", "screen",
})
RESERVED = frozenset({"!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "case", "esac", "in", "function", "select"})
# Wrapper options that take the next word as their value.
WRAPPER_VALUES = {
    "sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"}, "doas": {"-u", "-C"},
    "nice": {"-n"}, "ionice": {"-c", "-n", "-p"}, "timeout": {"-s", "-k", "--signal", "--kill-after"},
    "xargs": {"-I", "-L", "-n", "-P", "-s", "-d", "-E", "-a"}, "stdbuf": {"-i", "-o", "-e"},
    "flock": {"-w", "-E", "-c"}, "watch": {"-n", "-d"}, "exec": {"-a"}, "screen": {"-S", "-t", "-c", "-p", "-h", "-T", "-e"},
}
# Programs that read a shell script on their standard input when given none to run (`echo ... | at now`).
STDIN_RUNNERS = frozenset({"at", "batch"})
# Programs that run the shell text given to their -c (or --command).
COMMAND_RUNNERS = frozenset({"su", "runuser", "script"})
# tmux commands whose arguments are a shell command to run (or keys typed into a shell).
TMUX_RUNS = frozenset({
    "new", "new-session", "new-window", "neww", "split-window", "splitw", "respawn-pane", "respawnp",
    "respawn-window", "respawnw", "run-shell", "run", "send-keys", "send", "display-popup", "popup",
})
TMUX_VALUES = frozenset({"-s", "-n", "-c", "-x", "-y", "-e", "-F", "-t", "-f", "-l", "-N", "-T", "-d", "-w", "-h"})
# Interpreters and the option whose value is a program: its string literals are judged as commands.
INTERPRETERS = {
    "perl": "eE", "ruby": "e", "node": "ep", "nodejs": "ep", "php": "r", "python": "c", "deno": "",
}
_LONG_CODE = ("--eval", "--print")
# A string literal in a program's text: '...', "..." or `...`.
_STRING = re.compile(r"""'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`""")

# What the gate reads, relative to the repository's top level.
PROTECTED = (
    (".git/hooks", "the git hooks"),
    (".git/smoke", "smoke-gate's records"),
    (".git/config", "git's configuration"),
    ("tests/smoke", "the smoke manifest and its scenarios"),
    (".pre-commit-config.yaml", "the pre-commit configuration"),
    *((h.config, f"the {h.title} hooks") for h in HARNESSES.values()),
    # Settings that can switch every hook off: Claude Code's disableAllHooks
    # (code.claude.com/docs/en/hooks), Codex's [features] hooks = false
    # (developers.openai.com/codex/hooks).
    (".claude/settings.local.json", "the Claude Code hooks"),
    (".codex/config.toml", "the OpenAI Codex CLI hooks"),
)
# The same settings in the home folder switch the hooks off for every project.
HOME_PROTECTED = (
    ("~/.claude/settings.json", "the Claude Code hooks"),
    ("~/.codex/config.toml", "the OpenAI Codex CLI hooks"),
    ("~/.codex/hooks.json", "the OpenAI Codex CLI hooks"),
    ("~/.gemini/settings.json", "the Gemini CLI hooks"),
    ("~/.cursor/hooks.json", "the Cursor hooks"),
    # git's own configuration for every repository: it can move the hooks (core.hooksPath, include.path).
    ("~/.gitconfig", "git's configuration"),
    ("~/.config/git/config", "git's configuration"),
)
# Scratch output inside what is protected: removing it weakens nothing.
SCRATCH = (".git/smoke/runs",)

MANIFEST = "tests/smoke/manifest.toml"

_HOOKS_INSTEAD = (
    "commit or push without skipping hooks; when the smoke gate refuses, fix what the failing scenario "
    "reports and try again"
)
_GATE_INSTEAD = (
    "run 'smoke gate' and fix what fails; only the person you work for can let a failing gate through"
)


class Denial:
    """Why a command is refused, and what to do instead."""

    def __init__(self, reason: str, instead: str) -> None:
        self.reason = reason
        self.instead = instead

    def message(self) -> str:
        # The command is not echoed: it may spell out a variable or flag, and no
        # message shown to an agent names one (the agent knows what it ran).
        return f"smoke-gate refused this command: {self.reason}.\nInstead: {self.instead}."


def check(script: str, *, cwd: str | None = None, root: str | None = None) -> Denial | None:
    """The first way round the gate that `script` takes, or None when it takes none."""
    return _Checker(cwd or os.getcwd(), root).script(script, {})


class _Checker:
    def __init__(self, cwd: str, root: str | None) -> None:
        self.cwd = cwd
        self.root = root or _toplevel(cwd) or cwd
        self._protected: list[tuple[str, str]] | None = None
        self._gitdirs: list[str] | None = None
        self.feed: tuple[str, str | None] = ("none", None)
        self.loaded: set[str] = set()  # RUN_VARS set for what runs now
        self.path_first = False  # PATH set to look somewhere else first
        self.line_loaded: set[str] = set()  # the same, set for the rest of the line
        self.line_path_first = False

    def protected(self) -> list[tuple[str, str]]:
        """PROTECTED, plus the folder git runs hooks from when core.hooksPath moves it inside the repository."""
        if self._protected is None:
            self._protected = list(PROTECTED)
            import subprocess

            try:
                out = subprocess.run(
                    ["git", "rev-parse", "--git-path", "hooks"], cwd=self.root, capture_output=True, text=True, timeout=10,
                ).stdout.strip()
            except (OSError, subprocess.TimeoutExpired):
                out = ""
            rel = self._relative(out) if out else None
            if rel and rel != "." and all(rel != p for p, _ in self._protected):
                self._protected.append((rel, "the git hooks"))
        return self._protected

    def script(self, text: str, known: dict[str, str], depth: int = 0) -> Denial | None:
        if depth > 8:
            return Denial("it nests shells deeper than smoke-gate follows", "write the command out plainly")
        try:
            commands = shellwords.parse(text)
        except shellwords.ParseError as e:
            return Denial(f"smoke-gate cannot read it as a shell would ({e})", "write the command out plainly")
        for command in commands:
            denial = self.command(command, known, depth)
            if denial is not None:
                return denial
        return None

    # ------------------------------------------------------------ one simple command

    def command(self, c: Command, known: dict[str, str], depth: int) -> Denial | None:
        saved = self.feed
        self.feed = self._feed(c, known)
        try:
            return self._command(c, known, depth)
        finally:
            self.feed = saved

    def _feed(self, c: Command, known: dict[str, str]) -> tuple[str, str | None]:
        """What the command reads on its standard input: ("none"|"text"|"unknown"|"file", the text when known)."""
        feed: tuple[str, str | None] = ("none", None)
        if c.piped_from is not None:
            text = self._output(c.piped_from, known)
            feed = ("text", text) if text is not None else ("unknown", None)
        bodies = iter(c.heredocs)
        for op, target in c.redirects:
            if op in ("<<", "<<-"):
                body = next(bodies, None)
                feed = ("text", body) if body is not None else ("unknown", None)
            elif op == "<<<":
                v = target.value(known)
                feed = ("text", v + "\n") if v is not None else ("unknown", None)
            elif op in ("<", "<>") and any(kind == "psub" for kind, _ in target.parts):
                inner: list[Command] = next(v for kind, v in target.parts if kind == "psub")  # type: ignore[misc]
                text = self._output(inner[0], known) if len(inner) == 1 else None
                feed = ("text", text) if text is not None else ("unknown", None)
            elif op in ("<", "<>") and target.value(known) not in ("/dev/stdin", "/dev/fd/0"):
                feed = ("file", None)
        return feed

    def _output(self, c: Command, known: dict[str, str]) -> str | None:
        """What a literal `echo`, `printf` or `cat` of a here-document writes; None when it cannot be known."""
        if not c.words or c.assigns:
            return None
        name = c.words[0].value(known)
        values = [a.value(known) for a in c.words[1:]]
        base = posixpath.basename(name or "")
        if base in ("echo", "printf") and any(v is None for v in values):
            return None
        plain = [v for v in values if v is not None]
        if base == "echo":
            while plain and plain[0] in ("-n", "-e", "-E", "-ne", "-en"):
                plain.pop(0)
            return _unescape(" ".join(plain)) + "\n"
        if base == "printf":
            if plain and plain[0] == "--":
                plain.pop(0)
            if not plain or plain[0].startswith("-"):
                return None
            rest = iter(plain[1:])
            out = re.sub(r"%[-+ #0-9.]*[sbdqc]", lambda m: next(rest, ""), plain[0].replace("%%", "\0"))
            return _unescape(out.replace("\0", "%")) + " ".join(rest)
        if base == "cat" and not [v for v in values if v is None or not v.startswith("-")]:
            kind, text = self._feed(c, known)
            return text if kind == "text" else None
        return None

    def source(self, args: list[Word], known: dict[str, str], depth: int) -> Denial | None:
        """`source FILE` / `. FILE`: a file is not a line we can see; standard input or `<(...)` is judged like a pipe."""
        if not args:
            return None
        first = args[0]
        if first.value(known) in ("/dev/stdin", "/dev/fd/0", "-"):
            return self.stdin("'source'", known, depth)
        psubs = [v for kind, v in first.parts if kind == "psub"]
        if not psubs:
            return None
        commands: list[Command] = psubs[0]  # type: ignore[assignment]
        text = self._output(commands[0], known) if len(commands) == 1 else None
        if text is None:
            return Denial(
                "it runs commands that smoke-gate cannot read before they run (built at run time, downloaded or decoded)",
                "write the command out plainly",
            )
        return self.script(text, dict(known), depth + 1)

    def stdin(self, what: str, known: dict[str, str], depth: int) -> Denial | None:
        """A program that runs the script on its standard input: judged when that is known text."""
        kind, text = self.feed
        if kind == "text" and text is not None:
            return self.script(text, dict(known), depth + 1)
        if kind == "unknown":
            return Denial(
                f"it feeds {what} with commands that smoke-gate cannot read before they run (built at run time, "
                "downloaded or decoded)",
                "write the command out plainly",
            )
        return None

    def _command(self, c: Command, known: dict[str, str], depth: int) -> Denial | None:
        for op, target in c.redirects:
            denial = self.redirect(op, target, known)
            if denial is not None:
                return denial
        for name, value in c.assigns:
            denial = _assignment(name, value, known)
            if denial is not None:
                return denial
        loaded = {name for name, _ in c.assigns if name in RUN_VARS}
        path_first = any(name == "PATH" and _path_first(value) for name, value in c.assigns)
        if not c.words:
            for name, value in c.assigns:  # a plain assignment: the rest of the line can use it
                v = value.value(known)
                if v is None:
                    known.pop(name, None)
                else:
                    known[name] = v
            self.line_loaded |= loaded  # may already be exported: the line's later commands see it
            self.line_path_first = self.line_path_first or path_first
            return None
        saved = (self.loaded, self.path_first)
        self.loaded, self.path_first = self.loaded | loaded, self.path_first or path_first
        try:
            return self.run(c.words, known, depth)
        finally:
            self.loaded, self.path_first = saved

    def tool_env(self) -> Denial | None:
        """A denial when git, smoke, wg or pre-commit would run with their code loaded from elsewhere."""
        instead = "don't change how the gate's tools are found; run git, wg and smoke with the environment you were given"
        if self.loaded or self.line_loaded:
            return Denial("it changes which code git or the smoke gate loads before its own", instead)
        if self.path_first or self.line_path_first:
            return Denial("it puts another folder first where git or the smoke gate is looked up", instead)
        return None

    def run(self, words: list[Word], known: dict[str, str], depth: int) -> Denial | None:
        """`words` as a command line: peel wrappers, then judge the command they run."""
        words = list(words)
        while words:
            name = words[0].value(known)
            if name is None:
                # A command named at run time (`$(which git) commit -n`): judged as git when it reads like git.
                second = words[1].value(known) if len(words) > 1 else None
                if second in HOOK_RUNNERS or second in ("commit-tree", "config"):
                    return self.tool_env() or self.git(words[1:], known)
                return None
            base = posixpath.basename(name)
            if base in RESERVED:
                words = words[1:]
                continue
            if base == "env":
                return self.env(words[1:], known, depth)
            if base == "exec":
                for w in words[1:]:
                    v = w.value(known)
                    if v is None or not v.startswith("-") or v == "--":
                        break
                    if "c" in v[1:]:
                        return _unset_agent("it runs the command with an empty environment, clearing the variable that says an agent is running")
            if base == "xargs":
                return self.xargs(words[1:], known, depth)
            if base in STDIN_RUNNERS:
                values = [w.value(known) for w in words[1:]]
                if any(v is not None and v.startswith(("-f", "-l", "-r", "-d", "-c")) for v in values):
                    return None  # a script file, or the queue
                return self.stdin(f"'{base}'", known, depth)
            if base in COMMAND_RUNNERS:
                return self.runner(base, words[1:], known, depth)
            if base == "tmux":
                return self.tmux(words[1:], known, depth)
            if base == "watch":  # runs its arguments through `sh -c`
                rest = _after_options(words[1:], known, WRAPPER_VALUES["watch"], positional=0)
                text = _joined(rest, known)
                return _unknown("watch") if text is None else self.script(text, dict(known), depth + 1)
            if base in WRAPPERS:
                rest = _after_options(words[1:], known, WRAPPER_VALUES.get(base, set()), positional=1 if base == "timeout" else 0)
                if not rest and base in ("sudo", "doas") and any(
                    v is not None and v.startswith("-") and not v.startswith("--") and ("s" in v or "i" in v)
                    for v in (w.value(known) for w in words[1:])
                ):
                    return self.stdin("a shell", known, depth)  # `sudo -s` with nothing to run: a shell on standard input
                words = rest
                continue
            if base in SHELLS or base.startswith(("python", "pypy")) or base in ("eval", "git", "smoke", "wg", "pre-commit"):
                return self.program(base, words[1:], known, depth)
            if base in INTERPRETERS:
                denial = self.code(base, words[1:], known, depth)
                if denial is not None:
                    return denial
            return self.generic(base, words[1:], known, depth)
        return None

    def xargs(self, words: list[Word], known: dict[str, str], depth: int) -> Denial | None:
        """xargs runs its command with words read from its input added: judged with them when they are known text."""
        values = [w.value(known) for w in words]
        command = _after_options(words, known, WRAPPER_VALUES["xargs"], positional=0)
        kind, text = self.feed
        self.feed = ("none", None)
        if not command:
            return None
        if kind == "text" and text is not None and not any(v is not None and v.startswith("-a") for v in values):
            try:
                extra = [w for c in shellwords.parse(text) for w in c.words]
            except shellwords.ParseError:
                extra = None
            if extra is not None:
                return self.run([*command, *extra], known, depth)
        if kind != "none" or any(v is not None and v.startswith("-a") for v in values):
            head = [w.value(known) for w in command]
            name = posixpath.basename(head[0] or "")
            sub = next((v for v in head[1:] if v is None or not v.startswith("-")), "")
            judged = name in ("smoke", "wg", "env", "eval", "pre-commit", "exec") or name in SHELLS or name in WRAPPERS
            forced = any(v in ("-f", "--force", "-M", "-C", "-B", "--force-create") for v in head)
            if judged or (name == "git" and (sub is None or sub in HOOK_RUNNERS or sub in (
                "commit-tree", "config", "update-ref",
            ) or (forced and sub in ("branch", "checkout", "switch")))):
                return Denial(
                    "smoke-gate cannot tell what arguments 'xargs' adds to this command (they come from its input)",
                    "write the command out plainly",
                )
        return self.run(command, known, depth)

    def runner(self, base: str, words: list[Word], known: dict[str, str], depth: int) -> Denial | None:
        """su, runuser, script: the text of -c (--command) is a line of its own; without one, they may read standard input."""
        values = [w.value(known) for w in words]
        for i, v in enumerate(values):
            if v is None:
                continue
            text: str | None | bool = False
            if v in ("-c", "--command") or (v.startswith("-") and not v.startswith("--") and v.endswith("c")):
                text = values[i + 1] if i + 1 < len(values) else ""
            elif v.startswith("--command="):
                text = v.split("=", 1)[1]
            if text is False:
                continue
            if text is None or not isinstance(text, str):
                return _unknown(base)
            return self.script(text, dict(known), depth + 1)
        return self.stdin(f"'{base}'", known, depth)

    def tmux(self, words: list[Word], known: dict[str, str], depth: int) -> Denial | None:
        """tmux new-session, new-window, split-window, run-shell, send-keys...: the command they start is judged."""
        values = [w.value(known) for w in words]
        i = 0
        while i < len(values):
            v = values[i]
            if v is None:
                return _unknown("tmux")
            if v == "-c":
                text = values[i + 1] if i + 1 < len(values) else ""
                return _unknown("tmux") if text is None else self.script(text, dict(known), depth + 1)
            if v in ("-L", "-S", "-f", "-T"):
                i += 2
                continue
            if v.startswith("-"):
                i += 1
                continue
            break
        if i >= len(values) or values[i] not in TMUX_RUNS:
            return None
        sub = values[i]
        j = i + 1
        while j < len(values):
            v = values[j]
            if v is None:
                return _unknown("tmux")
            if v == "--":
                j += 1
                break
            if v in TMUX_VALUES and v != "-d":
                if v == "-e" and j + 1 < len(words):
                    assign = shellwords._assignment(words[j + 1])
                    denial = _assignment(assign[0], assign[1], known) if assign else None
                    if denial is not None:
                        return denial
                j += 2
                continue
            if v.startswith("-") and len(v) > 1:
                j += 1
                continue
            break
        rest = values[j:]
        if sub in ("send-keys", "send"):
            rest = [r for r in rest if r not in ("Enter", "C-m", "KPEnter", "C-j")]
        if not rest:
            return None
        if any(r is None for r in rest):
            return _unknown("tmux")
        return self.script(" ".join(r for r in rest if r is not None), dict(known), depth + 1)

    def code(self, base: str, args: list[Word], known: dict[str, str], depth: int) -> Denial | None:
        """`python -c`, `perl -e`, `node -e`...: git, smoke and wg commands spelled in the program's strings are judged."""
        letters = INTERPRETERS["python" if base.startswith(("python", "pypy")) else base]
        for i, a in enumerate(args):
            v = a.value(known)
            if v is None or not v.startswith("-") or v == "--":
                continue
            if v in _LONG_CODE or (letters and not v.startswith("--") and v[-1] in letters):
                program = args[i + 1].value(known) if i + 1 < len(args) else None
            elif v.startswith(tuple(o + "=" for o in _LONG_CODE)):
                program = v.split("=", 1)[1]
            else:
                continue
            if program is None:
                return None
            return self.program_text(program, known, depth)
        operands = [a.value(known) for a in args if a.value(known) is None or not str(a.value(known)).startswith("-")]
        kind, text = self.feed
        if (not operands or operands[0] == "-") and kind == "text" and text is not None:
            return self.program_text(text, known, depth)  # the program comes on standard input
        return None

    def program_text(self, program: str, known: dict[str, str], depth: int) -> Denial | None:
        """Each string literal as a command line, and each run of them joined by commas (`["git", "commit", "-n"]`) as words."""
        runs: list[list[str]] = []
        last_end = -1
        for m in _STRING.finditer(program):
            text = next(g for g in m.groups() if g is not None)
            text = re.sub(r"\\(.)", lambda e: {"n": "\n", "t": "\t"}.get(e.group(1), e.group(1)), text)
            if runs and program[last_end : m.start()].strip() == ",":
                runs[-1].append(text)
            else:
                runs.append([text])
            last_end = m.end()
        for run in runs:
            lines = [run[0]] if len(run) == 1 else [" ".join(shellwords_quote(t) for t in run)]
            for line in lines:
                try:
                    commands = shellwords.parse(line)
                except shellwords.ParseError:
                    continue
                for c in commands:
                    name = c.words[0].value(known) if c.words else None
                    if name is not None and posixpath.basename(name) in ("git", "smoke", "wg"):
                        denial = self.command(c, dict(known), depth + 1)
                        if denial is not None:
                            return denial
        return None

    def env(self, words: list[Word], known: dict[str, str], depth: int) -> Denial | None:
        i = 0
        while i < len(words):
            w = words[i].value(known)
            if w is None:
                return Denial("smoke-gate cannot tell what this 'env' does (an argument built at run time)", "write the command out plainly")
            if w in ("-i", "--ignore-environment", "-"):
                return _unset_agent("it empties the environment, clearing the variable that says an agent is running")
            if w.startswith("-") and not w.startswith("--") and len(w) > 2:
                # A cluster (-0u VAR, -vu VAR, -iS '...'): flags, then one option that takes the rest or the next word.
                for j, ch in enumerate(w[1:], start=1):
                    if ch == "i":
                        return _unset_agent("it empties the environment, clearing the variable that says an agent is running")
                    if ch in "uCS":
                        attached = w[j + 1 :]
                        if not attached:
                            i += 1
                            attached = words[i].value(known) if i < len(words) else ""  # type: ignore[assignment]
                        if attached is None:
                            return _unknown("env")
                        if ch == "u" and attached in _agent_vars():
                            return _unset_agent("it clears a variable that says an agent is running")
                        if ch == "S":
                            return self.script(attached, dict(known), depth + 1)
                        break
                i += 1
                continue
            if w in ("-u", "--unset") or w.startswith(("--unset=", "-u")):
                if w in ("-u", "--unset"):
                    i += 1
                    var = words[i].value(known) if i < len(words) else ""
                else:
                    var = w.split("=", 1)[1] if w.startswith("--unset=") else w[2:]
                if var is None or var in _agent_vars():
                    return _unset_agent("it clears a variable that says an agent is running")
                i += 1
                continue
            if w in ("-S", "--split-string") or w.startswith("--split-string="):
                rest = w.split("=", 1)[1] if "=" in w else (words[i + 1].value(known) if i + 1 < len(words) else "")
                if rest is None:
                    return Denial("smoke-gate cannot tell what this 'env -S' runs", "write the command out plainly")
                return self.script(rest, dict(known), depth + 1)
            if w in ("-C", "--chdir"):
                i += 2
                continue
            if w.startswith("-"):
                i += 1
                continue
            assign = shellwords._assignment(words[i])
            if assign is not None:
                denial = _assignment(assign[0], assign[1], known)
                if denial is not None:
                    return denial
                if assign[0] in RUN_VARS:
                    self.loaded = self.loaded | {assign[0]}
                if assign[0] == "PATH" and _path_first(assign[1]):
                    self.path_first = True
                i += 1
                continue
            return self.run(words[i:], known, depth)
        return None

    def program(self, base: str, args: list[Word], known: dict[str, str], depth: int) -> Denial | None:
        if base in TOOLS or (base.startswith(("python", "pypy")) and [a.value(known) for a in args[:2]] == ["-m", "smoke"]):
            denial = self.tool_env()
            if denial is not None:
                return denial
        if base == "eval":
            text = _joined(args, known)
            if text is None:
                return Denial("smoke-gate cannot tell what this 'eval' runs (its text is built at run time)", "write the command out plainly")
            return self.script(text, dict(known), depth + 1)
        if base in SHELLS:
            return self.shell(args, known, depth)
        if base.startswith(("python", "pypy")):
            values = [a.value(known) for a in args]
            if len(values) >= 2 and values[0] == "-m" and values[1] == "smoke":
                return self.smoke(args[2:], known)
            return self.code(base, args, known, depth)
        if base == "git":
            return self.git(args, known)
        if base == "smoke":
            return self.smoke(args, known)
        if base == "wg":
            return _skip_smoke(args, known)
        if base == "pre-commit":
            if args and args[0].value(known) == "uninstall":
                return Denial("it removes the git hooks that run the smoke gate", _HOOKS_INSTEAD)
        return None

    def shell(self, args: list[Word], known: dict[str, str], depth: int) -> Denial | None:
        """sh -c SCRIPT (options may be clustered: -lc, -ec): the script is judged as a line of its own."""
        i = 0
        while i < len(args):
            v = args[i].value(known)
            if v is None:
                return Denial("smoke-gate cannot tell what this shell runs (its script is built at run time)", "write the command out plainly")
            if v in ("-o", "+o", "-O", "+O"):
                i += 2  # a named option and its name
                continue
            if v.startswith("--") and v != "--":
                i += 1
                continue
            if v == "--":
                return self.stdin("a shell", known, depth) if i + 1 >= len(args) else None
            if v == "-":
                return self.stdin("a shell", known, depth)
            if not v.startswith(("-", "+")):
                return None  # a script file: not a line we can see
            if "c" in v[1:]:
                script = args[i + 1].value(known) if i + 1 < len(args) else ""
                if script is None:
                    return Denial("smoke-gate cannot tell what this shell runs (its script is built at run time)", "write the command out plainly")
                return self.script(script, dict(known), depth + 1)
            if "s" in v[1:]:
                return self.stdin("a shell", known, depth)
            i += 1
        return self.stdin("a shell", known, depth)

    # ------------------------------------------------------------ git

    def git(self, args: list[Word], known: dict[str, str]) -> Denial | None:
        i = 0
        while i < len(args):
            v = args[i].value(known)
            if v is None:
                return _unknown("git")
            if v in ("-c", "--config-env"):
                value = args[i + 1].value(known) if i + 1 < len(args) else ""
                denial = _git_config_value(value)
                if denial is not None:
                    return denial
                i += 2
                continue
            if v.startswith("--config-env="):
                denial = _git_config_value(v.split("=", 1)[1])
                if denial is not None:
                    return denial
                i += 1
                continue
            if v in GIT_GLOBAL_VALUES:
                i += 2
                continue
            if v.startswith("-"):
                i += 1
                continue
            break
        if i >= len(args):
            return None
        sub = args[i].value(known)
        rest = args[i + 1 :]
        if sub == "commit":
            return _commit(rest, known)
        if sub == "commit-tree":
            return Denial("it makes a commit without running git's hooks, where the smoke gate runs", _HOOKS_INSTEAD)
        if sub in HOOK_RUNNERS:
            return _no_verify(rest, known)
        if sub == "config":
            return self.git_config(rest, known)
        if sub in ("rm", "mv"):
            return self.paths(sub, rest, known)
        if sub in ("branch", "update-ref", "checkout", "switch"):
            return _moves_base(sub, rest, known)
        if sub == "update-index":
            values = [a.value(known) for a in rest]
            if any(v in ("--assume-unchanged", "--skip-worktree") for v in values):
                return self.paths("update-index", rest, known)
        return None

    def git_config(self, args: list[Word], known: dict[str, str]) -> Denial | None:
        """`git config` (old and new syntax): a write that moves the hooks, includes a file, or aliases a skip."""
        values = [a.value(known) for a in args]
        if any(v is None for v in values):
            return _unknown("git config")
        plain = [v for v in values if v is not None]
        valued = {"--file", "-f", "--blob", "--type", "--default", "--comment", "--value", "--worktree-file"}
        positional: list[str] = []
        options: list[str] = []
        i = 0
        while i < len(plain):
            v = plain[i]
            if v in valued:
                i += 2
                continue
            (options if v.startswith("-") else positional).append(v)
            i += 1
        action = positional.pop(0) if positional and positional[0] in (
            "get", "set", "unset", "list", "edit", "rename-section", "remove-section",
        ) else None
        reads = {"--get", "--get-all", "--get-regexp", "--get-urlmatch", "--list", "-l", "--show-origin", "--name-only"}
        if action in ("get", "list") or any(o in reads for o in options):
            return None
        if action == "edit" or any(o in ("-e", "--edit") for o in options):
            return Denial("it edits git's configuration as a whole, where git's hooks are set", _HOOKS_INSTEAD)
        lowered = [p.lower() for p in positional]
        if action == "rename-section" or "--rename-section" in options:
            if any(p == "core" or p.startswith(("alias", "include")) for p in lowered):
                return Denial("it renames configuration that decides where git's hooks run", _HOOKS_INSTEAD)
            return None
        writes = len(positional) >= 2 or action in ("set", "unset") or any(
            o.startswith(("--unset", "--replace", "--add")) for o in options
        )
        if not writes or not positional:
            return None
        key = lowered[0]
        denial = _config_key(key)
        if denial is not None:
            return denial
        if key.startswith("alias.") and len(positional) >= 2:
            return self.alias(positional[1], known)
        return None

    def alias(self, value: str, known: dict[str, str]) -> Denial | None:
        """A git alias's value, judged as the git command it becomes; a shell alias (`!...`) cannot be followed."""
        skips = Denial("it defines a git alias that skips git's hooks", _HOOKS_INSTEAD)
        if value.lstrip().startswith("!"):
            return Denial("it defines a git alias that runs a shell command, which smoke-gate cannot see through",
                          "run the git command itself")
        try:
            commands = shellwords.parse(value)
        except shellwords.ParseError:
            return skips
        for c in commands:
            if self.git(c.words, dict(known)) is not None:
                return skips
        return None

    # ------------------------------------------------------------ smoke-gate itself

    def smoke(self, args: list[Word], known: dict[str, str]) -> Denial | None:
        denial = _skip_smoke(args, known)
        if denial is not None:
            return denial
        values = [a.value(known) for a in args]
        if values and values[0] == "gate":
            for v in values[1:]:
                if v is None:
                    return _unknown("smoke gate")
                if v == "--":
                    break
                if _long_prefix(v.split("=", 1)[0], "--manifest", "--ma"):
                    return Denial("it points the gate at another manifest than the repository's own", _GATE_INSTEAD)
        return None

    # ------------------------------------------------------------ files

    def generic(self, base: str, args: list[Word], known: dict[str, str], depth: int) -> Denial | None:
        if base in ("cd", "pushd"):
            target = args[0].value(known) if args else None
            if target is not None and not target.startswith("-"):
                self.cwd = posixpath.normpath(posixpath.join(self.cwd, os.path.expanduser(target)))
            return None
        if base in ("rm", "unlink", "rmdir", "shred", "srm", "trash", "trash-put", "truncate", "chattr", "chmod", "chown"):
            if base == "chmod" and _adds_exec(args, known):
                return None  # making a hook executable again
            return self.paths(base, args, known)
        if base == "mv":
            operands = _operands(args, known)
            return self._paths(base, operands[:-1]) or self._paths(base, operands[-1:], ancestors=False)
        if base in ("ln", "link", "cp", "install", "rsync"):
            return self._paths(base, _operands(args, known)[-1:], ancestors=False)
        if base in ("sed", "perl", "ruby") and _in_place(args, known):
            return self._paths(base, _operands(args, known), ancestors=False)
        if base == "tee":
            values = [a.value(known) for a in args]
            appending = any(v in ("-a", "--append") for v in values)
            for p in _operands(args, known):
                denial = self._path(base, p, ancestors=False, appending=appending)
                if denial is not None:
                    return denial
            return None
        if base == "dd":
            for a in args:
                v = a.value(known)
                if v is not None and v.startswith("of="):
                    return self._path(base, v[3:], ancestors=False)
            return None
        if base == "find":
            texts = [_text(a, known) for a in args]
            if any(t in ("-delete", "rm", "mv", "unlink", "shred", "truncate") for t in texts):
                starts = [t for t in texts if not t.startswith(("-", "(", "!"))][:1] or ["."]
                named = any(any(k in t for k in ("hook", "manifest", "smoke", ".git", "scenario", ".claude", ".codex", ".gemini", ".cursor", ".github")) for t in texts[1:])
                return self._path(base, starts[0], ancestors=named)
            return None
        if base == "unset":
            values = [a.value(known) for a in args]
            if "-f" in values:
                return None  # functions, not variables
            for v in values:
                if v is None:
                    return _unset_agent("it clears variables named at run time, which may say an agent is running")
                if v in _agent_vars():
                    return _unset_agent("it clears a variable that says an agent is running")
            return None
        if base in ("read", "mapfile", "readarray", "printf"):
            for name in _set_names(base, args, known):
                denial = _assignment(name, _UNKNOWN, known)
                if denial is not None:
                    return denial
            return None
        if base in ("source", "."):
            return self.source(args, known, depth)
        if base in ("export", "declare", "typeset", "readonly", "local"):
            values = [a.value(known) for a in args]
            flags = [v for v in values if v is not None and v[:1] in ("-", "+") and v not in ("-", "--")]
            if any(v.startswith("-") and ("p" in v or "f" in v) for v in flags):
                return None  # printing variables, or functions' attributes
            unexport = any(v.startswith("+") and "x" in v for v in flags) or (
                base == "export" and any(v.startswith("-") and "n" in v for v in flags)
            )
            exporting = base == "export" or any(v.startswith("-") and "x" in v for v in flags)
            nameref = base != "export" and any(v.startswith("-") and "n" in v for v in flags)
            for v in values:
                if v is None or v[:1] in ("-", "+"):
                    continue
                name = v.split("=", 1)[0]
                target = v.split("=", 1)[1] if nameref and "=" in v else ""
                if target in (*_agent_vars(), *GATE_VARS, *RUN_VARS, "SKIP", "PATH") or target.startswith(GIT_CONFIG_VARS):
                    return Denial("it gives another name to a variable the smoke gate depends on", "run the command with the environment you were given")
                if unexport and name in _agent_vars():
                    return _unset_agent("it stops passing on a variable that says an agent is running")
                if name in GATE_VARS:
                    return Denial("it sets one of the smoke gate's own variables, which agents may not set", _GATE_INSTEAD)
                if name in RUN_VARS and exporting:
                    return Denial(
                        "it exports a variable that changes which code programs load, git and the smoke gate among them",
                        "don't change how the gate's tools are found; pass it only to the command that needs it",
                    )
                if name in RUN_VARS and "=" in v:
                    self.line_loaded |= {name}
            for a in args:
                assign = shellwords._assignment(a)
                if assign is None:
                    continue
                if assign[0] == "PATH" and _path_first(assign[1]):
                    self.line_path_first = True  # the line's later commands look there first
                denial = _assignment(assign[0], assign[1], known)
                if denial is not None:
                    return denial
                v = assign[1].value(known)
                if v is not None:
                    known[assign[0]] = v
        return None

    def redirect(self, op: str, target: Word, known: dict[str, str]) -> Denial | None:
        if op in ("<", "<<", "<<-", "<<<", "<&"):
            return None
        path = target.value(known)
        if path is None:
            path = target.literal()
        if op == ">&" and (path.isdigit() or path == "-"):
            return None  # 2>&1: a descriptor, not a file
        return self._path("a redirection", path, ancestors=False, appending=op in (">>", "&>>"))

    def paths(self, what: str, args: list[Word], known: dict[str, str]) -> Denial | None:
        return self._paths(what, _operands(args, known))

    def _paths(self, what: str, operands: list[str], *, ancestors: bool = True) -> Denial | None:
        for p in operands:
            denial = self._path(what, p, ancestors=ancestors)
            if denial is not None:
                return denial
        return None

    def _path(self, what: str, path: str, *, ancestors: bool = True, appending: bool = False) -> Denial | None:
        """A denial when `path` (a glob too) is or holds what the gate reads."""
        for home in ("$HOME/", "${HOME}/"):
            if path.startswith(home):
                path = "~/" + path[len(home) :]
        rel = self._relative(path)
        if rel is not None and any(rel == s or rel.startswith(s + "/") for s in SCRATCH):
            return None  # the gate's scratch output (saved run output): nothing it reads
        if rel is None:
            full = posixpath.normpath(posixpath.join(self.cwd, os.path.expanduser(path)))
            for home, label in HOME_PROTECTED:
                if full == posixpath.normpath(os.path.expanduser(home)):
                    return Denial(
                        f"it would change or remove {label} ({path}), which can switch the hooks off",
                        "leave the harness's settings as they are; ask the person you work for to change them",
                    )
            return None
        for prot, label in self.protected():
            hit, above = _touches(rel, prot)
            if appending and hit and rel == MANIFEST:
                continue  # adding to the manifest is what grow-only allows
            if hit and prot == "tests/smoke" and not above and self._new(rel):
                continue  # a scenario file git does not know yet: being written, not weakened
            if hit or (above and ancestors):
                return Denial(
                    f"it would remove, move, overwrite or disable {label} ({path})",
                    f"leave {label} as they are: the gate reads them. Change the code under test, "
                    "and add scenarios with 'smoke add'",
                )
        return None

    def _new(self, rel: str) -> bool:
        """Whether `rel` (no glob) is a file git does not track: new work, such as a script `smoke add` scaffolded."""
        if any(ch in rel for ch in "*?[") or rel == MANIFEST:
            return False
        import subprocess

        try:
            out = subprocess.run(
                ["git", "ls-files", "-z", "--", rel], cwd=self.root, capture_output=True, timeout=10,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return out.returncode == 0 and not out.stdout and not os.path.isdir(posixpath.join(self.root, rel))

    def _relative(self, path: str) -> str | None:
        """`path` (globs kept) relative to the repository's top level; None when it lies outside."""
        path = os.path.expanduser(path) if path.startswith("~") else path
        full = posixpath.normpath(posixpath.join(self.cwd, path or "."))
        root = posixpath.normpath(self.root)
        if full == root:
            return "."
        if full.startswith(root + "/"):
            return full[len(root) + 1 :]
        for gitdir in self.gitdirs():
            if full == gitdir:
                return ".git"
            if full.startswith(gitdir + "/"):
                return ".git/" + full[len(gitdir) + 1 :]  # this repository's git directory, kept elsewhere
        return None  # outside: another repository's .git is not this gate's

    def gitdirs(self) -> list[str]:
        """Where this repository's git directory really is, when `.git` is a file (a worktree, a submodule): its own and the common one."""
        if self._gitdirs is None:
            self._gitdirs = []
            dotgit = posixpath.join(self.root, ".git")
            try:
                with open(dotgit, encoding="utf-8") as f:
                    line = f.read().strip()
            except OSError:
                line = ""
            if line.startswith("gitdir:"):
                own = posixpath.normpath(posixpath.join(self.root, line[len("gitdir:") :].strip()))
                self._gitdirs.append(own)
                try:
                    with open(posixpath.join(own, "commondir"), encoding="utf-8") as f:
                        self._gitdirs.append(posixpath.normpath(posixpath.join(own, f.read().strip())))
                except OSError:
                    pass
        return self._gitdirs


# ---------------------------------------------------------------- pieces


def _touches(rel: str, prot: str) -> tuple[bool, bool]:
    """(whether `rel` is `prot` or inside it, whether it holds it), for a path or a glob."""
    if not any(ch in rel for ch in "*?["):
        return rel == prot or rel.startswith(prot + "/"), rel == "." or prot.startswith(rel + "/")
    import fnmatch

    literal = rel[: min(rel.find(ch) for ch in "*?[" if ch in rel)]
    folder = literal.rsplit("/", 1)[0] if "/" in literal else ""
    if folder and (folder == prot or folder.startswith(prot + "/")):
        return True, False
    parts = prot.split("/")
    ancestors = ["/".join(parts[:n]) for n in range(1, len(parts))]
    if fnmatch.fnmatchcase(prot, rel):
        return True, False
    return False, any(fnmatch.fnmatchcase(a, rel) for a in ancestors)


def _text(word: Word, known: dict[str, str]) -> str:
    value = word.value(known)
    return word.literal() if value is None else value


def _operands(args: list[Word], known: dict[str, str]) -> list[str]:
    """The non-option arguments (everything after `--`), expansions shown as written when unknown."""
    operands = []
    after = False
    for a in args:
        v = a.value(known)
        if v is None:
            v = a.literal()
        if not after and v == "--":
            after = True
        elif after or not v.startswith("-") or v == "-":
            operands.append(v)
    return operands


def _unescape(text: str) -> str:
    """The backslash escapes echo -e and printf decode."""
    return re.sub(r"\\([ntr\\])", lambda m: {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}[m.group(1)], text)


def shellwords_quote(text: str) -> str:
    """`text` as one shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


def _head(word: Word, known: dict[str, str]) -> str:
    """The part of a word known before its first expansion that cannot be resolved."""
    out = []
    for kind, v in word.parts:
        if kind == "lit":
            out.append(str(v))
        elif kind == "var" and str(v) in known:
            out.append(known[str(v)])
        else:
            break
    return "".join(out)


def _adds_exec(args: list[Word], known: dict[str, str]) -> bool:
    """Whether a chmod mode keeps (or adds) the owner's read and execute bits: hooks and scenarios still run."""
    values = [a.value(known) for a in args]
    modes = [v for v in values if v is None or not (v.startswith("--") or (v.startswith("-") and set(v[1:]) <= set("RcfvhHLP")))][:1]
    if not modes or modes[0] is None:
        return False
    mode = modes[0]
    if mode.isdigit():
        return len(mode) >= 3 and int(mode[-3]) & 5 == 5
    for clause in mode.split(","):
        who = clause[: len(clause) - len(clause.lstrip("ugoa"))]
        ops = clause[len(who) :]
        if not ops or ops[0] not in "+-=":
            return False
        owner = not who or "u" in who or "a" in who
        if ops[0] == "-" and owner and any(c in ops for c in "rx"):
            return False
        if ops[0] == "=" and owner and not ("r" in ops and "x" in ops):
            return False
    return True


def _agent_vars() -> tuple[str, ...]:
    """Every variable that says an agent is running (identity's defaults: workgraph's and each harness's)."""
    from smoke.agents.identity import DEFAULT_AGENT_ENV

    return DEFAULT_AGENT_ENV


def _assignment(name: str, value: Word, known: dict[str, str]) -> Denial | None:
    v = value.value(known)
    if name in GATE_VARS:
        return Denial("it sets one of the smoke gate's own variables, which agents may not set", _GATE_INSTEAD)
    if name.startswith(GIT_CONFIG_VARS):
        return Denial("it hands git configuration through the environment, which could move git's hooks", _HOOKS_INSTEAD)
    if name in _agent_vars() and not v:
        return _unset_agent("it clears a variable that says an agent is running")
    if name == "SKIP":
        if v is None:
            return Denial("smoke-gate cannot tell which pre-commit hooks this skips (the list is built at run time)", _HOOKS_INSTEAD)
        if SMOKE_HOOK_IDS & {s.strip() for s in v.split(",")}:
            return Denial("it skips smoke-gate's pre-commit hooks", _HOOKS_INSTEAD)
    return None


_UNKNOWN = Word()
_UNKNOWN.add("dyn", "?")  # a value read at run time


def _set_names(base: str, args: list[Word], known: dict[str, str]) -> list[str]:
    """The variables `read`, `mapfile`/`readarray` or `printf -v` assign."""
    values = [a.value(known) for a in args]
    names: list[str] = []
    if base == "printf":
        for i, v in enumerate(values):
            if v == "-v" and i + 1 < len(values):
                names.append(values[i + 1] or "")
            elif v is not None and v.startswith("-v") and len(v) > 2:
                names.append(v[2:])
            if v is None or v == "--" or not v.startswith("-"):
                break
        return names
    valued = {"-d", "-i", "-n", "-N", "-p", "-t", "-u"} if base == "read" else {"-d", "-n", "-O", "-s", "-u", "-C", "-c"}
    i = 0
    while i < len(values):
        v = values[i]
        if v is None:
            i += 1
            continue
        if base == "read" and v == "-a" and i + 1 < len(values):
            names.append(values[i + 1] or "")
            i += 2
            continue
        if v in valued:
            i += 2
            continue
        if not v.startswith("-"):
            names.append(v)
        i += 1
    return names


def _path_first(value: Word) -> bool:
    """Whether a PATH value looks somewhere before the PATH it had (anything not starting with `$PATH`)."""
    return not (value.parts and value.parts[0] == ("var", "PATH"))


def _unset_agent(reason: str) -> Denial:
    return Denial(reason + "; the gate must know an agent is asking", "run the command with the environment you were given")


def _unknown(what: str) -> Denial:
    return Denial(f"smoke-gate cannot tell what this '{what}' does (an argument is built at run time)", "write the command out plainly")


def _skip_smoke(args: list[Word], known: dict[str, str]) -> Denial | None:
    for a in args:
        v = a.value(known)
        if v is None:
            continue
        if v == "--":
            break
        if _long_prefix(v.split("=", 1)[0], "--skip-smoke", "--sk"):
            return Denial("it bypasses the smoke gate, which agents may not do", _GATE_INSTEAD)
    return None


def _long_prefix(word: str, option: str, shortest: str) -> bool:
    """Whether `word` is `option` or an abbreviation of it that the parser would accept (at least `shortest`)."""
    return len(word) >= len(shortest) and option.startswith(word)


def _commit(args: list[Word], known: dict[str, str]) -> Denial | None:
    i = 0
    while i < len(args):
        v = args[i].value(known)
        if v is None:
            # Built at run time: harmless when its known start already makes it an option's value
            # (`--author="$(git config user.name) <a@b>"`, `-m"$(date)"`), a way round when it could be a flag.
            head = _head(args[i], known)
            name = head.split("=", 1)[0]
            if head.startswith("--") and "=" in head and not _long_prefix(name, "--no-verify", "--no-veri"):
                i += 1
                continue
            short = head[1:] if head.startswith("-") and not head.startswith("--") else ""
            cut = next((j for j, ch in enumerate(short) if ch in COMMIT_SHORT_VALUES | COMMIT_SHORT_ATTACHED), -1)
            if cut >= 0 and "n" not in short[:cut]:
                i += 1
                continue
            return _unknown("git commit")
        i += 1
        if v == "--":
            break
        if v.startswith("--"):
            name = v.split("=", 1)[0]
            if _long_prefix(name, "--no-verify", "--no-veri"):
                return Denial("it skips git's hooks, where the smoke gate runs", _HOOKS_INSTEAD)
            if "=" not in v and any(_long_prefix(name, opt, opt[:5]) for opt in COMMIT_LONG_VALUES):
                i += 1  # the option's value is the next word, whatever it says
            continue
        if v.startswith("-") and len(v) > 1:
            for j, ch in enumerate(v[1:], start=1):
                if ch == "n":
                    return Denial("it skips git's hooks, where the smoke gate runs", _HOOKS_INSTEAD)
                if ch in COMMIT_SHORT_VALUES:
                    if j == len(v) - 1:
                        i += 1  # the value is the next word
                    break
                if ch in COMMIT_SHORT_ATTACHED:
                    break
    return None


def _no_verify(args: list[Word], known: dict[str, str]) -> Denial | None:
    for a in args:
        v = a.value(known)
        if v is None:
            continue  # a branch or a message built at run time; a flag hidden that way is a limit
        if v == "--":
            break
        if _long_prefix(v.split("=", 1)[0], "--no-verify", "--no-veri"):
            return Denial("it skips git's hooks, where the smoke gate runs", _HOOKS_INSTEAD)
    return None


def _git_config_value(value: str | None) -> Denial | None:
    """A `-c key=value`: hooks moved, or an alias that would skip them."""
    if value is None:
        return _unknown("git -c")
    key = value.split("=", 1)[0].lower()
    denial = _config_key(key)
    if denial is not None:
        return denial
    if key.startswith("alias."):
        return Denial("it defines a git alias on the fly, which smoke-gate cannot see through", "run the git command itself")
    return None


def _config_key(key: str) -> Denial | None:
    """A configuration key whose value alone can move or skip the hooks."""
    if key == "core.hookspath":
        return Denial("it points git's hooks somewhere else, away from the smoke gate", _HOOKS_INSTEAD)
    if key == "include.path" or key.startswith("includeif."):
        return Denial("it makes git read more configuration from another file, which could move git's hooks", _HOOKS_INSTEAD)
    return None


def _base_ref(name: str) -> bool:
    """Whether `name` is a base branch, or its ref (local or a remote's copy)."""
    if name in BASE_BRANCHES:
        return True
    parts = name.split("/")
    if name.startswith("refs/heads/"):
        return "/".join(parts[2:]) in BASE_BRANCHES
    if name.startswith("refs/remotes/") and len(parts) == 4:
        return parts[3] in BASE_BRANCHES
    return False


_MOVES_BASE = Denial(
    "it moves the base branch the smoke gate compares the work against",
    "leave the base branch where it is; commit your work on your own branch and let the gate judge it",
)


def _moves_base(sub: str, args: list[Word], known: dict[str, str]) -> Denial | None:
    """`git branch -f`, `git update-ref`, `checkout -B`, `switch -C` aimed at a base branch."""
    values = [a.value(known) for a in args]
    if sub == "update-ref":
        if "--stdin" in values:
            return _unknown("git update-ref")
        positional = [v for v in values if v is None or not v.startswith("-")]
        if "-m" in values:  # the reason's text is not a ref
            j = values.index("-m")
            if j + 1 < len(values):
                positional = [v for k, v in enumerate(values) if (v is None or not v.startswith("-")) and k != j + 1]
        if positional and (positional[0] is None or _base_ref(positional[0])):
            return _unknown("git update-ref") if positional[0] is None else _MOVES_BASE
        return None
    forcing = {
        "branch": ("-f", "--force", "-M", "-C", "--force-create"),
        "checkout": ("-B",),
        "switch": ("-C", "--force-create"),
    }[sub]
    clustered = [v for v in values if v is not None and v.startswith("-") and not v.startswith("--")]
    forced = any(v in forcing for v in values) or (sub == "branch" and any("f" in v[1:] for v in clustered))
    if not forced:
        return None
    positional = [v for v in values if v is None or not v.startswith("-")]
    if sub == "branch" and any(v in ("-M", "-C") for v in values):
        positional = positional[-1:]
    if not positional:
        return None
    target = positional[0]
    if target is None:
        return _unknown(f"git {sub}")
    return _MOVES_BASE if _base_ref(target) or _base_ref(f"refs/heads/{target}") else None


def _in_place(args: list[Word], known: dict[str, str]) -> bool:
    for a in args:
        v = a.value(known)
        if v is None:
            continue
        if v.startswith("--in-place") or (v.startswith("-") and not v.startswith("--") and "i" in v[1:].split("=")[0]):
            return True
    return False


def _after_options(words: list[Word], known: dict[str, str], valued: set[str], positional: int) -> list[Word]:
    """The command a wrapper runs: its options (and `positional` leading arguments) skipped."""
    i = 0
    while i < len(words):
        v = words[i].value(known)
        if v is None:
            break
        if v == "--":
            i += 1
            break
        if v.startswith("-") and len(v) > 1:
            # An option taking a value, alone or last in a cluster (`-u bob`, `-dmS name`).
            i += 2 if v in valued or (not v.startswith("--") and f"-{v[-1]}" in valued) else 1
            continue
        if positional:
            positional -= 1
            i += 1
            continue
        break
    return words[i:]


def _joined(args: list[Word], known: dict[str, str]) -> str | None:
    values = [a.value(known) for a in args]
    if any(v is None for v in values):
        return None
    return " ".join(v for v in values if v is not None)


def _toplevel(cwd: str) -> str | None:
    """The repository holding `cwd`, found by its `.git` (no git process: this runs before every command)."""
    from smoke import gitproc

    return gitproc.toplevel(os.path.abspath(cwd))
