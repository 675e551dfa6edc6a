"""The pre-tool judge (smoke/agents/bypass.py): every way round the gate denied, every look-alike allowed.

The commands are shell text as an agent's shell tool receives it (Claude Code
and Codex: tool_input.command; Gemini CLI: run_shell_command's command;
Copilot: toolArgs.command; Cursor: beforeShellExecution's command).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from smoke.agents import bypass

HEREDOC_COMMIT = "git commit -m \"$(cat <<'EOF'\nDon't skip the gate: explain --no-verify\nEOF\n)\""

WAYS_ROUND = [
    # skipping git's hooks
    "git commit --no-verify -m 'wip'",
    "git commit -n -m wip",
    "git commit -nm wip",
    "git commit -am 'wip' --no-verify",
    "git commit --no-veri -m x",
    "git push --no-verify origin main",
    "git merge --no-verify feature",
    "git pull --no-verify",
    "git -C sub commit -n -m x",
    "git commit-tree HEAD^{tree} -p HEAD -m x",
    HEREDOC_COMMIT + " --no-verify",
    # hooks moved or skipped through configuration
    "git -c core.hooksPath=/dev/null commit -m x",
    "git -c core.hookspath=/tmp/none push",
    "git config core.hooksPath /tmp/nohooks",
    "git config --unset core.hooksPath",
    "GIT_CONFIG_PARAMETERS=\"'core.hooksPath'='/x'\" git commit -m x",
    "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0=/x git commit -m x",
    "git -c alias.ci='commit --no-verify' ci -m x",
    "SKIP=smoke-gate git commit -m x",
    "SKIP=ruff,smoke-gate-push git push",
    "export SKIP=smoke-grow-only",
    "pre-commit uninstall",
    # the gate's own bypass and variables
    "smoke gate --skip-smoke",
    "smoke gate --skip --reason x",
    "wg done my-task --skip-smoke",
    "python3 -m smoke gate --task t --skip-smoke",
    "SMOKE_AGENT_OVERRIDE=1 wg done t",
    "export WG_SMOKE_AGENT_OVERRIDE=1",
    "SMOKE_ALLOW_SHRINK=1 git commit -m x",
    "SMOKE_SKIP_SMOKE=1 git commit -m x",
    "env SMOKE_AGENT_OVERRIDE=1 wg done t",
    "SMOKE_MANIFEST=/tmp/empty.toml smoke gate",
    "smoke gate --manifest /tmp/empty.toml",
    # hiding that an agent is asking
    "unset CLAUDECODE",
    "unset WG_AGENT_ID; wg done t",
    "env -u CLAUDECODE git commit -m x",
    "env -i PATH=/usr/bin git commit -m x",
    "CLAUDECODE= git commit -m x",
    "export CODEX_THREAD_ID=",
    "GEMINI_CLI='' wg done t",
    # the hooks, the manifest and the scenarios
    "rm .git/hooks/pre-commit",
    "rm -rf .git",
    "mv .git/hooks/pre-push /tmp/",
    "ln -sf /dev/null .git/hooks/pre-commit",
    "chmod -x .git/hooks/pre-commit",
    "chmod 644 .git/hooks/pre-push",
    "cp /dev/null tests/smoke/manifest.toml",
    "cat /dev/null > tests/smoke/manifest.toml",
    "echo 'exit 0' > .git/hooks/pre-commit",
    "echo 'exit 0' >> tests/smoke/scenarios/check.sh",
    "truncate -s 0 tests/smoke/manifest.toml",
    "sed -i '/name = \"login\"/d' tests/smoke/manifest.toml",
    "git rm tests/smoke/manifest.toml",
    "git mv tests/smoke/scenarios/a.sh old.sh",
    "rm -rf tests/smoke",
    "rm -rf tests",
    "rm tests/smoke/scenarios/*.sh",
    "find .git/hooks -type f -delete",
    "rm .claude/settings.json",
    "echo '{}' > .codex/hooks.json",
    "git update-index --assume-unchanged tests/smoke/manifest.toml",
    "cd tests && rm -rf smoke",
    # the same, inside other commands
    "bash -c 'git commit --no-verify -m x'",
    "sh -lc \"cd sub && git push --no-verify\"",
    "bash -o pipefail -c 'git commit -n -m x | cat'",
    "(cd sub; git commit -n -m x)",
    "echo ok && git commit --no-verify -m x",
    "make test; git push --no-verify",
    "git push --no-verify origin HEAD | tee push.log",
    "X=--no-verify; git commit $X -m y",
    "eval \"git commit --no-verify -m x\"",
    "eval 'git' 'push' '--no-verify'",
    "git commit $(printf -- --no-verify) -m x",
    "echo `git push --no-verify`",
    "timeout 60 git commit -n -m x",
    "sudo -E git push --no-verify",
    "nohup git push --no-verify &",
    "env -S 'git commit --no-verify -m x'",
    "git commit --no-verify\\\n -m x",
    "git commit \"--no-verify\" -m x",
    "git commit $'--no-verify' -m x",
    "/usr/bin/git commit -n -m x",
    "$(command -v git) commit -n -m x",
    "exec -a g git push --no-verify",
    "echo '{\"disableAllHooks\": true}' > .claude/settings.local.json",
    "printf '[features]\\nhooks = false\\n' >> .codex/config.toml",
    "echo '{\"disableAllHooks\": true}' > ~/.claude/settings.json",
]

LOOK_ALIKES = [
    "git commit -m 'docs: explain why --no-verify is refused'",
    "git commit -m \"-n means no hooks, so agents never use it\"",
    "git commit -mn",
    "git commit -am 'fix the parser'",
    "git commit --verbose -m x",
    "git commit --amend --no-edit",
    HEREDOC_COMMIT,
    "grep -rn -- --no-verify docs/",
    "rg 'no-verify|skip-smoke' smoke/",
    "git log -n 5",
    "git log --oneline -n 3 --grep=no-verify",
    "git push -n origin main",
    "git push --force-with-lease origin feature",
    "git merge --no-ff feature",
    "echo 'SKIP=smoke-gate is refused for agents'",
    "SKIP=flake8 git commit -m x",
    "printf '%s\\n' 'git commit --no-verify'",
    "python -c \"print('--skip-smoke')\"",
    "cat tests/smoke/manifest.toml",
    "ls -la .git/hooks",
    "grep -n smoke .git/hooks/pre-commit",
    "cp tests/smoke/manifest.toml /tmp/manifest-backup.toml",
    "smoke add login_redirect --owner t --run 'curl -s localhost' --contains ok",
    "echo '[[scenario]]' >> tests/smoke/manifest.toml",
    "smoke gate --task fix-login",
    "smoke run --all",
    "wg done fix-login",
    "git config --get core.hooksPath",
    "git config core.hooksPath",
    "git config user.name 'A Person'",
    "CLAUDECODE=1 git status",
    "env FOO=1 git commit -m x",
    "export PATH=\"$PATH:/opt/bin\"",
    "unset FOO BAR",
    "rm -rf build/ dist/ *.egg-info",
    "find . -name '*.pyc' -delete",
    "rm src/old_module.py",
    "mv notes.txt docs/",
    "chmod +x .git/hooks/pre-commit",
    "bash -c 'git status && git diff'",
    "git -C sub commit -m 'sub change'",
    "git stash push -m '-n'",
    "git rebase -i HEAD~3",
    "npm test 2>&1 | tail -20",
    "echo done > /tmp/out.txt",
    "git merge -m \"$MSG\" feature",
    "rm -f .git/index.lock",
    "cat > tests/smoke/scenarios/new_login.sh <<'EOF'\n#!/bin/sh\ncurl -si localhost/login\nEOF",
    "echo '{}' > .claude/notes.json",
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A real repository with a manifest and scenarios that git tracks: whether it does decides some answers."""
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for rel in ("tests/smoke/manifest.toml", "tests/smoke/scenarios/a.sh", "tests/smoke/scenarios/check.sh"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("# tracked\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "tests"], check=True)
    return tmp_path


@pytest.mark.parametrize("command", WAYS_ROUND)
def test_way_round_is_denied(command: str, root: Path) -> None:
    denial = bypass.check(command, cwd=str(root))
    assert denial is not None, f"not denied: {command!r}"
    text = denial.message()
    assert "smoke-gate refused this command" in text and "Instead:" in text
    # A refusal never names a variable or flag that would let an agent through.
    for name in (*bypass.GATE_VARS, *bypass.AGENT_VARS, "WG_AGENT_ID", "--no-verify", "--skip-smoke", "hooksPath", "SKIP="):
        assert name not in text


@pytest.mark.parametrize("command", LOOK_ALIKES)
def test_look_alike_is_allowed(command: str, root: Path) -> None:
    denial = bypass.check(command, cwd=str(root))
    assert denial is None, f"denied: {command!r}: {denial.reason if denial else ''}"


def test_corpus_is_large_enough() -> None:
    assert len(WAYS_ROUND) >= 30 and len(LOOK_ALIKES) >= 20


def test_a_tracked_scenario_cannot_be_overwritten_but_a_new_one_can_be_written(tmp_path: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    script = tmp_path / "tests" / "smoke" / "scenarios" / "login.sh"
    script.parent.mkdir(parents=True)
    script.write_text("curl -si localhost/login\n")
    assert bypass.check("echo 'exit 0' > tests/smoke/scenarios/login.sh", cwd=str(tmp_path)) is None  # untracked
    subprocess.run(["git", "-C", str(tmp_path), "add", "tests"], check=True)
    assert bypass.check("echo 'exit 0' > tests/smoke/scenarios/login.sh", cwd=str(tmp_path)) is not None
    assert bypass.check("rm tests/smoke/scenarios/login.sh", cwd=str(tmp_path)) is not None


def test_hooks_moved_by_core_hooks_path_are_protected_too(root: Path) -> None:
    import subprocess

    subprocess.run(["git", "-C", str(root), "config", "core.hooksPath", ".githooks"], check=True)
    assert bypass.check("rm .githooks/pre-commit", cwd=str(root)) is not None
    assert bypass.check("rm .githooks.bak", cwd=str(root)) is None


def test_paths_are_judged_from_the_command_s_folder(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    sub = tmp_path / "tests"
    sub.mkdir()
    assert bypass.check("rm -rf smoke", cwd=str(sub)) is not None
    assert bypass.check("rm -rf unit", cwd=str(sub)) is None
    assert bypass.check("rm -rf ../.git/hooks", cwd=str(sub)) is not None
