"""Gate integrity: nothing the caller's environment or the git directory can change quietly decides what the gate checks.

One section per route of issue 12, each through the real `smoke` and real git.
"""
from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest
from helpers import SMOKE
from helpers import Repo

# A task whose only scenario fails: every gate of it is refused unless something lets it through.
BROKEN = """
[[scenario]]
name = "login_works"
run = "echo login broken"
owners = ["t1"]
paths = ["src/**"]
[scenario.expect]
stdout_contains = ["login ok"]
"""


@pytest.fixture
def broken(repo: Repo) -> Repo:
    repo.manifest(BROKEN)
    repo.write("src/app.txt", "app\n")
    assert repo.commit("a broken scenario").returncode == 0
    return repo


def _audit(repo: Repo) -> list[dict[str, object]]:
    path = repo.path / ".git" / "smoke" / "audit.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _done(repo: Repo, env: dict[str, str] | None = None, task: str = "t1"):  # type: ignore[no-untyped-def]
    return repo.smoke("gate", "--task", task, "--stage", "done", env=env)


# ---------------------------------------------------------------- route 10: who is an agent


@pytest.mark.parametrize("var", ["WG_AGENT_ID", "CLAUDECODE"])
def test_the_default_agent_variables_make_an_agent(broken: Repo, var: str) -> None:
    res = broken.smoke("gate", "--task", "t1", "--skip-smoke", env={var: "1"})
    assert res.returncode == 1
    assert f"--skip-smoke refused: the caller is an agent ({var} is set)" in res.stderr


def test_a_variable_set_but_empty_is_not_an_agent(broken: Repo) -> None:
    res = broken.smoke("gate", "--task", "t1", "--skip-smoke", "--reason", "r", env={"CLAUDECODE": "", "WG_AGENT_ID": ""})
    assert res.returncode == 0, res.stderr
    assert "SMOKE GATE BYPASSED" in res.stderr
    (entry,) = _audit(broken)
    assert entry["agent"] == {}


# ---------------------------------------------------------------- route 9: overrides and `smoke allow`


@pytest.mark.parametrize("var", ["SMOKE_AGENT_OVERRIDE", "WG_SMOKE_AGENT_OVERRIDE"])
def test_an_override_variable_is_named_loudly_and_ignored_for_an_agent(broken: Repo, var: str) -> None:
    res = _done(broken, {"WG_AGENT_ID": "a1", var: "1"})
    assert res.returncode == 1
    assert f"!!! smoke gate: IGNORED: {var} is set, but no environment variable lets an agent past the smoke gate\n" in res.stderr
    res = broken.smoke("gate", "--task", "t1", "--skip-smoke", env={"WG_AGENT_ID": "a1", var: "1"})
    assert res.returncode == 1
    assert _audit(broken) == []


def test_no_message_shown_to_an_agent_names_an_override_variable(broken: Repo) -> None:
    for args in (("gate", "--task", "t1", "--stage", "done"), ("gate", "--task", "t1", "--skip-smoke")):
        res = broken.smoke(*args, env={"WG_AGENT_ID": "a1"})
        assert res.returncode == 1
        assert "OVERRIDE" not in res.stdout + res.stderr
        assert "smoke allow --task t1" in res.stderr or args[-1] == "done"


def _at_terminal(repo: Repo, args: list[str], typed: str | None, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `smoke ARGS` on a real pseudo-terminal, typing `typed` when it asks; (exit code, what it printed)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes smoke, with the terminal as stdin, stdout and stderr
        try:
            os.chdir(repo.path)
            os.execve(SMOKE, [SMOKE, *args], {**repo.env, **(env or {})})
        finally:
            os._exit(127)
    seen = b""
    sent = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if typed is not None and not sent and b"Type the task id" in seen:
                os.write(fd, typed.encode() + b"\n")
                sent = True
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace").replace("\r\n", "\n")


def test_allow_without_a_terminal_is_refused(broken: Repo) -> None:
    res = broken.smoke("allow", "--task", "t1", "--reason", "endpoint down")
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == (
        "smoke allow: error: a person at a terminal must run this: it asks them to type the task id,"
        " and nothing else can grant\n"
    )
    assert not (broken.path / ".git" / "smoke" / "grants").exists()


def test_allow_refuses_a_wrong_task_id_typed(broken: Repo) -> None:
    code, shown = _at_terminal(broken, ["allow", "--task", "t1", "--reason", "demo"], "t2")
    assert code == 2, shown
    assert "you typed 't2', not 't1'; no grant was written" in shown
    assert _done(broken, {"WG_AGENT_ID": "a1"}).returncode == 1


def test_allow_refuses_an_agent_even_at_a_terminal(broken: Repo) -> None:
    code, shown = _at_terminal(broken, ["allow", "--task", "t1", "--reason", "demo"], "t1", {"CLAUDECODE": "1"})
    assert code == 2, shown
    assert "an agent cannot grant itself a pass" in shown


def test_a_grant_lets_the_next_agent_gate_of_its_task_through_once_loudly(broken: Repo) -> None:
    code, shown = _at_terminal(broken, ["allow", "--task", "t1", "--reason", "endpoint down"], "t1",
                               {"USER": "erik", "LOGNAME": "erik"})
    assert code == 0, shown
    assert "granted: the next agent gate of task 't1' passes once" in shown
    # Another task's gate does not spend it, and a person's gate does not either.
    assert _done(broken, {"WG_AGENT_ID": "a1"}, task="t9").returncode == 0  # t9 owns nothing
    assert _done(broken).returncode == 1
    res = _done(broken, {"WG_AGENT_ID": "a1"})
    assert res.returncode == 0, res.stderr
    assert "!!! SMOKE GATE PASSED BY A GRANT for task 't1', given by erik: no scenario was run.\n" in res.stderr
    assert "!!! Reason: endpoint down\n" in res.stderr
    again = _done(broken, {"WG_AGENT_ID": "a1"})
    assert again.returncode == 1
    assert "login_works" in again.stdout
    assert [(e["action"], e["task"]) for e in _audit(broken)] == [("allow", "t1"), ("grant-used", "t1")]


def test_a_grant_is_bound_to_the_work_it_was_given_for(broken: Repo) -> None:
    code, shown = _at_terminal(broken, ["allow", "--task", "t1", "--reason", "demo"], "t1")
    assert code == 0, shown
    broken.write("src/app.txt", "changed after the grant\n")
    res = _done(broken, {"WG_AGENT_ID": "a1"})
    assert res.returncode == 1
    assert "the grant for task 't1' was given for other work (the files changed since); it does not apply" in res.stderr
    broken.write("src/app.txt", "app\n")
    assert _done(broken, {"WG_AGENT_ID": "a1"}).returncode == 0


def test_a_grant_expires(broken: Repo) -> None:
    code, shown = _at_terminal(broken, ["allow", "--task", "t1", "--reason", "demo"], "t1")
    assert code == 0, shown
    (grant_file,) = (broken.path / ".git" / "smoke" / "grants").iterdir()
    grant = json.loads(grant_file.read_text())
    grant["expires"] = time.time() - 1
    grant_file.write_text(json.dumps(grant))
    res = _done(broken, {"WG_AGENT_ID": "a1"})
    assert res.returncode == 1
    assert "the grant for task 't1' has expired" in res.stderr


# ---------------------------------------------------------------- route 3: a manifest named by the environment


@pytest.mark.parametrize("var", ["SMOKE_MANIFEST", "WG_SMOKE_MANIFEST"])
@pytest.mark.parametrize("inside", [True, False])
def test_a_manifest_named_by_the_environment_is_refused_for_an_agent(broken: Repo, tmp_path: Path, var: str, inside: bool) -> None:
    empty = (broken.path / "empty.toml") if inside else (tmp_path / "empty.toml")
    empty.write_text("")
    res = _done(broken, {"WG_AGENT_ID": "a1", var: str(empty)})
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr.startswith(f"smoke gate: error: ${var} names the manifest ")
    assert "refused, because the caller is an agent and an agent's gate uses the repository's own manifest" in res.stderr


def test_a_manifest_named_by_the_environment_is_announced_for_a_person(broken: Repo) -> None:
    (broken.path / "empty.toml").write_text("")
    res = _done(broken, {"SMOKE_MANIFEST": "empty.toml"})
    assert res.returncode == 0, res.stderr
    assert "smoke: note: using the manifest empty.toml named by $SMOKE_MANIFEST, not the repository's own\n" in res.stderr
    # Naming the repository's own manifest is no change at all.
    res = _done(broken, {"WG_AGENT_ID": "a1", "SMOKE_MANIFEST": "tests/smoke/manifest.toml"})
    assert res.returncode == 1
    assert "note: using the manifest" not in res.stderr


# ---------------------------------------------------------------- route 13: a poisoned manifest cache


def test_a_poisoned_manifest_cache_never_passes_an_agents_gate(broken: Repo) -> None:
    import marshal

    assert _done(broken).returncode == 1  # a person's gate writes the cache
    (cache,) = (broken.path / ".git" / "smoke").glob("manifest-cache.*.marshal")
    doc = marshal.loads(cache.read_bytes())
    assert [row[0] for row in doc["scenarios"]] == ["login_works"]  # Scenario's fields, name first
    doc["scenarios"] = []
    cache.write_bytes(marshal.dumps(doc))
    for env in ({"WG_AGENT_ID": "a1"}, {"CLAUDECODE": "1"}):
        res = _done(broken, env)
        assert res.returncode == 1, res.stdout + res.stderr
        assert "login_works" in res.stdout


def test_a_poisoned_build_cache_never_passes_an_agents_gate(repo: Repo) -> None:
    repo.manifest("""
[settings]
build = "mkdir -p \\"$SMOKE_BUILD_DIR/bin\\" && cp tool.sh \\"$SMOKE_BUILD_DIR/bin/tool\\" && chmod +x \\"$SMOKE_BUILD_DIR/bin/tool\\""

[[scenario]]
name = "tool_works"
run = "tool"
owners = ["t1"]
[scenario.expect]
stdout_contains = ["tool ok"]
""")
    repo.write("tool.sh", "#!/bin/sh\necho tool broken\n")
    assert repo.commit("a broken tool").returncode == 0
    assert _done(repo).returncode == 1  # a person's gate fills the build cache
    (tool,) = (repo.path / ".git" / "smoke" / "build").glob("*/bin/tool")
    tool.write_text("#!/bin/sh\necho tool ok\n")
    assert _done(repo).returncode == 0  # the cache is a person's speed-up
    res = _done(repo, {"WG_AGENT_ID": "a1"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "tool broken" in res.stdout


# ---------------------------------------------------------------- route 4: the wg shim runs the installed smoke-gate


def _shim(repo: Repo, tmp_path: Path) -> dict[str, str]:
    """The shim installed by `smoke install --wg-shim` ahead of a stand-in wg that records it ran; the PATH to use."""
    real = tmp_path / "real-bin"
    real.mkdir()
    (real / "wg").write_text("#!/bin/sh\necho real wg ran: \"$@\"\n")
    (real / "wg").chmod(0o755)
    assert repo.smoke("install", "--wg-shim", str(tmp_path / "shim-bin")).returncode == 0
    return {"PATH": os.pathsep.join([str(tmp_path / "shim-bin"), str(real), repo.env["PATH"]])}


def _wg(repo: Repo, env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    import subprocess

    return subprocess.run(["wg", *args], cwd=repo.path, env={**repo.env, **env}, capture_output=True, text=True, timeout=120)


def test_smoke_bin_does_not_choose_an_agents_gate(broken: Repo, tmp_path: Path) -> None:
    path = _shim(broken, tmp_path)
    res = _wg(broken, {**path, "SMOKE_BIN": "/bin/true", "WG_AGENT_ID": "a1"}, "done", "t1")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "real wg ran" not in res.stdout
    assert ("wg (smoke-gate shim): SMOKE_BIN is a person's setting: ignored, because the caller is an agent;"
            " running the installed smoke-gate.\n") in res.stderr
    assert "login_works" in res.stdout
    # A person may still point the shim at another smoke.
    res = _wg(broken, {**path, "SMOKE_BIN": "/bin/true"}, "done", "t1")
    assert (res.returncode, res.stdout) == (0, "real wg ran: done t1\n")


def test_an_agents_path_does_not_choose_its_gate(broken: Repo, tmp_path: Path) -> None:
    path = _shim(broken, tmp_path)
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    (fake / "smoke").write_text("#!/bin/sh\nexit 0\n")
    (fake / "smoke").chmod(0o755)
    env = {"PATH": os.pathsep.join([path["PATH"].split(os.pathsep, 1)[0], str(fake), path["PATH"]]), "CLAUDECODE": "1"}
    res = _wg(broken, env, "done", "t1")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "real wg ran" not in res.stdout


# ---------------------------------------------------------------- route 5: a base_ref that does not resolve


@pytest.mark.parametrize("command", [("gate", "--stage", "done"), ("list",)])
def test_a_base_ref_that_does_not_resolve_is_a_usage_error(broken: Repo, command: tuple[str, ...]) -> None:
    broken.manifest('[settings]\nbase_ref = "develpo"\n' + BROKEN)
    assert broken.commit("typo").returncode == 0
    res = broken.smoke(*command, "--task", "t9")
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == (
        f"smoke {command[0]}: error: settings.base_ref 'develpo' does not name a commit here (looked for develpo,"
        " origin/develpo) (set base_ref under [settings] to the branch tasks start from, or fetch it)\n"
    )


def test_the_default_base_finds_a_trunk_called_master(repo: Repo) -> None:
    repo.git("branch", "-m", "main", "master")
    repo.manifest(BROKEN)
    repo.write("src/app.txt", "app\n")
    assert repo.commit("on master").returncode == 0
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("src/app.txt", "changed on the branch\n")
    assert repo.commit("work for t9").returncode == 0
    res = repo.smoke("list", "--task", "t9")
    assert res.returncode == 0, res.stderr
    assert "login_works" in res.stdout
    repo.git("branch", "-m", "master", "develop")
    res = repo.smoke("list", "--task", "t9")
    assert res.returncode == 2
    assert "settings.base_ref 'main' does not name a commit here (looked for main, origin/main, master" in res.stderr


# ---------------------------------------------------------------- route 6: wg done compares with the fork from base_ref


def test_done_refuses_a_scenario_removed_in_a_no_verify_commit_on_the_branch(broken: Repo) -> None:
    broken.git("checkout", "-q", "-b", "wg/t1")
    broken.manifest(BROKEN.replace('owners = ["t1"]', 'owners = []'))
    assert broken.commit("drop my task from the scenario").returncode == 0  # --no-verify
    res = _done(broken)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "owner 't1'" in res.stdout + res.stderr
    assert "since the fork from the base branch" in res.stdout + res.stderr


# ---------------------------------------------------------------- route 1: a symlinked manifest

TWO = BROKEN.replace("echo login broken", "echo login ok") + """
[[scenario]]
name = "logout_works"
run = "echo logout ok"
owners = ["t2"]
[scenario.expect]
stdout_contains = ["logout ok"]
"""


def test_a_symlinked_manifest_is_compared_by_its_content_at_commit_push_and_in_ci(repo: Repo, tmp_path: Path) -> None:
    import subprocess

    repo.manifest(TWO)
    assert repo.commit("two scenarios").returncode == 0
    bare = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(bare))
    repo.git("remote", "add", "origin", str(bare))
    repo.git("push", "-q", "origin", "main")
    assert repo.smoke("install").returncode == 0
    smoke_dir = repo.path / "tests" / "smoke"
    (smoke_dir / "shrunk.toml").write_text(TWO[: TWO.index("[[scenario]]\nname = \"logout_works\"")])
    (smoke_dir / "manifest.toml").unlink()
    (smoke_dir / "manifest.toml").symlink_to("shrunk.toml")
    repo.git("add", "-A")
    res = repo.git("commit", "-m", "shrink through a link", check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "scenario 'logout_works'" in res.stdout + res.stderr
    assert "is new" not in res.stdout + res.stderr
    assert repo.commit("shrink through a link").returncode == 0  # --no-verify
    push = subprocess.run(["git", "push", "origin", "main"], cwd=repo.path, env=repo.env, capture_output=True, text=True)
    assert push.returncode != 0, push.stdout + push.stderr
    assert "scenario 'logout_works'" in push.stdout + push.stderr
    ci = repo.smoke("check", "--grow-only", "--base", "origin/main")
    assert ci.returncode == 1, ci.stdout + ci.stderr
    assert "scenario 'logout_works'" in ci.stdout


# ---------------------------------------------------------------- route 2: refs come from git


def _pushed_repo(repo: Repo, tmp_path: Path) -> Repo:
    """Two passing scenarios pushed to a bare remote, native hooks installed."""
    repo.manifest(TWO)
    repo.write("src/app.txt", "app\n")
    assert repo.commit("two scenarios").returncode == 0
    bare = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(bare))
    repo.git("remote", "add", "origin", str(bare))
    repo.git("push", "-q", "origin", "main")
    assert repo.smoke("install").returncode == 0
    return repo


SPOOFED = {"PRE_COMMIT_FROM_REF": "HEAD", "PRE_COMMIT_TO_REF": "HEAD"}


def _push(repo: Repo, env: dict[str, str]):  # type: ignore[no-untyped-def]
    import subprocess

    return subprocess.run(["git", "push", "origin", "main"], cwd=repo.path, env={**repo.env, **env},
                          capture_output=True, text=True)


def test_a_caller_set_range_does_not_empty_a_native_push(repo: Repo, tmp_path: Path) -> None:
    _pushed_repo(repo, tmp_path)
    repo.manifest(TWO[: TWO.index("[[scenario]]\nname = \"logout_works\"")])
    assert repo.commit("drop a scenario").returncode == 0  # --no-verify
    res = _push(repo, SPOOFED)
    assert res.returncode != 0, res.stdout + res.stderr
    assert "scenario 'logout_works'" in res.stdout + res.stderr
    repo.manifest(TWO.replace("echo login ok", "echo login broken"))
    repo.write("src/app.txt", "a change login_works guards\n")
    assert repo.commit("restore it; break login").returncode == 0
    res = _push(repo, {**SPOOFED, "PRE_COMMIT": "1", "PRE_COMMIT_REMOTE_NAME": "origin"})
    assert res.returncode != 0, res.stdout + res.stderr
    assert "login_works" in res.stdout + res.stderr


def test_a_caller_set_range_is_ignored_outside_a_framework_push(broken: Repo) -> None:
    broken.manifest(BROKEN.replace('owners = ["t1"]', "owners = []"))
    broken.git("add", "-A")
    res = broken.smoke("check", "--grow-only", "--staged", env=SPOOFED)
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout.startswith(
        "smoke check --grow-only: note: PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF are ignored: they count only at a push"
        " under the pre-commit framework\n"
    )


def test_under_the_framework_a_range_that_does_not_name_the_push_is_not_used(broken: Repo, tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    broken.git("init", "-q", "--bare", str(bare))
    broken.git("remote", "add", "origin", str(bare))
    broken.git("push", "-q", "origin", "main")
    broken.manifest(BROKEN.replace('owners = ["t1"]', "owners = []"))
    assert broken.commit("drop an owner").returncode == 0
    framework = {"PRE_COMMIT": "1", "PRE_COMMIT_REMOTE_NAME": "origin", "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
                 "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main"}
    for spoof in (SPOOFED, {"PRE_COMMIT_FROM_REF": "HEAD", "PRE_COMMIT_TO_REF": "HEAD~1"}):
        res = broken.smoke("check", "--grow-only", "--staged", env={**framework, **spoof})
        assert res.returncode == 1, res.stdout + res.stderr
        assert "owner 't1' was removed" in res.stdout
    # At a commit (git sets GIT_INDEX_FILE), a described push does not replace comparing what is staged.
    broken.git("reset", "-q", "--soft", "HEAD~1")
    res = broken.smoke("check", "--grow-only", "--staged",
                       env={**framework, "PRE_COMMIT_FROM_REF": "origin/main", "PRE_COMMIT_TO_REF": "HEAD",
                            "GIT_INDEX_FILE": str(broken.path / ".git" / "index")})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "owner 't1' was removed" in res.stdout


# ---------------------------------------------------------------- route 8: a scenario cannot draw over the report


def test_control_characters_in_a_scenarios_output_are_made_visible(repo: Repo) -> None:
    repo.manifest(r"""
[[scenario]]
name = "draws_over_its_failure"
run = 'printf "oops\n\033[1A\033[2K\rdraws_over_its_failure...... PASS (all good)\n"; printf "\302\2332K\n" >&2; exit 3'
owners = ["t1"]
[scenario.expect]
stdout_contains = ["fine"]

[[scenario]]
name = "skips_with_escapes"
run = 'printf "\033[2J gone\n" >&2; exit 77'
owners = ["t1"]
[scenario.expect]
stdout_contains = ["fine"]
""")
    assert repo.commit("scenarios").returncode == 0
    res = repo.smoke("run", "--task", "t1", "--color", "never")
    assert res.returncode == 1
    shown = res.stdout + res.stderr
    assert "\x1b" not in shown and "\r" not in shown and "\x9b" not in shown
    assert "  | \\e[1A\\e[2K\n  | draws_over_its_failure...... PASS (all good)\n" in res.stdout
    assert "  | \\x9b2K\n" in res.stdout
    assert r"!!! SKIPPED, NOT PASSED: \e[2J gone" in res.stdout


# ---------------------------------------------------------------- route 7: a scenario must leave the repository as it found it


def test_a_scenario_that_stashes_the_work_is_an_error_saying_where_it_went(broken: Repo) -> None:
    broken.manifest(BROKEN.replace("echo login broken", "git stash -q; echo login ok"))
    assert broken.commit("a scenario that stashes").returncode == 0
    broken.write("src/app.txt", "the work being finished\n")
    res = _done(broken)
    assert res.returncode == 1, res.stdout + res.stderr
    assert ("!!! scenario 'login_works' changed the repository: tracked files in the work tree changed.\n"
            in res.stdout)
    assert "the work went to the stash (" in res.stdout
    assert "login_works (the repository changed while it ran: tracked files in the work tree changed)" in res.stdout
    broken.git("stash", "pop", "-q")
    assert broken.read("src/app.txt") == "the work being finished\n"


def test_a_scenario_that_moves_head_is_an_error(broken: Repo) -> None:
    broken.manifest(BROKEN.replace("echo login broken", "git commit -q --allow-empty -m sneaky; echo login ok"))
    assert broken.commit("a scenario that commits").returncode == 0
    res = broken.smoke("run", "login_works")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "!!! scenario 'login_works' changed the repository: HEAD moved from main (" in res.stdout
    assert "'git reset --keep " in res.stdout


# ---------------------------------------------------------------- route 18: an agent's edit to what a scenario runs is seen


def test_an_agents_commit_changing_a_scenarios_script_run_or_env_is_refused_and_audited(repo: Repo) -> None:
    import subprocess

    repo.manifest("""
[[scenario]]
name = "by_script"
script = "scenarios/check.sh"
owners = ["t1"]
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "by_run"
run = "echo ok"
owners = ["t1"]
[scenario.expect]
stdout_contains = ["ok"]
""")
    repo.write("tests/smoke/scenarios/check.sh", "grep -q ok src/app.txt && echo ok\n")
    repo.write("src/app.txt", "ok\n")
    assert repo.commit("scenarios").returncode == 0
    assert repo.smoke("install").returncode == 0
    repo.write("tests/smoke/scenarios/check.sh", "echo ok\n")
    text = repo.read("tests/smoke/manifest.toml").replace('run = "echo ok"', 'run = "echo ok"\nenv = { X = "1" }')
    repo.write("tests/smoke/manifest.toml", text)
    repo.git("add", "-A")
    before = repo.head()
    res = subprocess.run(["git", "commit", "-m", "simplify"], cwd=repo.path, capture_output=True, text=True,
                         env={**repo.env, "WG_AGENT_ID": "a1"})
    # Red-team review: `run = "echo fine"` passed every door. An agent's edit is now refused like a weakening.
    assert res.returncode == 1, res.stdout + res.stderr
    assert repo.head() == before
    out = res.stdout + res.stderr
    assert "!!! an agent (WG_AGENT_ID is set) changed what scenarios run:\n" in out
    assert "!!!   scenario 'by_script': the content of scenarios/check.sh changed\n" in out
    assert "!!!   scenario 'by_run': its env changed\n" in out
    assert ("tests/smoke/manifest.toml: scenario 'by_run': its env changed (an agent may not change what a kept"
            " scenario runs: add a new scenario, or ask a person to make this change)") in out
    assert "SMOKE_ALLOW_SHRINK" not in out
    (entry, *_) = [e for e in _audit(repo) if e["action"] == "scenario-edited"]
    assert entry["agent"] == {"WG_AGENT_ID": "a1"}
    assert "by_script" in str(entry["reason"]) and "by_run" in str(entry["reason"])
    # A person may fix a scenario.
    res = subprocess.run(["git", "commit", "-m", "simplify"], cwd=repo.path, capture_output=True, text=True, env=repo.env)
    assert res.returncode == 0, res.stdout + res.stderr


# ---------------------------------------------------------------- route 17: an interrupt is never an internal error


def test_an_interrupt_whose_report_cannot_be_written_is_not_a_crash(repo: Repo, tmp_path: Path) -> None:
    import signal
    import subprocess

    repo.manifest("""
[[scenario]]
name = "slow"
run = "touch started; sleep 30; echo done"
owners = ["t1"]
[scenario.expect]
stdout_contains = ["done"]
""")
    assert repo.commit("a slow scenario").returncode == 0
    crashes = tmp_path / "tmp"
    crashes.mkdir()
    master, slave = os.openpty()  # a terminal that goes away, as when pre-commit dies on Ctrl-C
    proc = subprocess.Popen([SMOKE, "run", "slow"], cwd=repo.path, env={**repo.env, "TMPDIR": str(crashes)},
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    try:
        deadline = time.monotonic() + 60
        while not (repo.path / "started").exists() and time.monotonic() < deadline:
            select.select([master], [], [], 0.1) and os.read(master, 65536)
        os.close(master)  # every later write to the terminal fails with EIO
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 130
    assert [p.name for p in crashes.iterdir() if p.name.startswith("smoke-crash-")] == []


# ---------------------------------------------------------------- route 15: unguarded changes

GUARDS_SRC = """
[settings]
unguarded = "{mode}"

[[scenario]]
name = "src_ok"
run = "echo ok"
paths = ["src/**"]
[scenario.expect]
stdout_contains = ["ok"]
"""


def _unguarded_repo(repo: Repo, mode: str) -> Repo:
    repo.manifest(GUARDS_SRC.format(mode=mode))
    repo.write("src/a.txt", "a\n")
    repo.write("docs/d.txt", "d\n")
    assert repo.commit("guard src").returncode == 0
    repo.write("src/a.txt", "a2\n")
    repo.write("docs/d.txt", "d2\n")
    return repo


def test_an_unguarded_change_warns_by_default_naming_the_files(repo: Repo) -> None:
    _unguarded_repo(repo, "warn")
    res = repo.smoke("gate")
    assert res.returncode == 0, res.stdout + res.stderr
    assert ("smoke gate: WARNING: 1 changed file(s) no scenario guards: docs/d.txt (guard them: smoke add NAME"
            " --owner T --path 'GLOB' --run CMD --contains TEXT)\n") in res.stdout
    repo.write("docs/d.txt", "d\n")
    assert "WARNING" not in repo.smoke("gate").stdout


def test_an_unguarded_change_is_refused_with_block(repo: Repo) -> None:
    _unguarded_repo(repo, "block")
    res = repo.smoke("gate", "--task", "t9")
    assert res.returncode == 1, res.stdout + res.stderr
    assert ("smoke gate refused task 't9': 1 changed file(s) no scenario guards: docs/d.txt. Add a scenario that"
            " guards them: smoke add NAME --owner t9 --path 'GLOB' --run CMD --contains TEXT\n") in res.stdout


def test_an_unguarded_change_runs_everything_with_all(repo: Repo) -> None:
    _unguarded_repo(repo, "all")
    repo.write("src/a.txt", "a\n")  # only the unguarded file changed: src_ok runs all the same
    res = repo.smoke("gate")
    assert res.returncode == 0, res.stdout + res.stderr
    assert 'settings.unguarded = "all", so every scenario runs' in res.stdout
    assert "src_ok" in res.stdout


def test_list_unguarded_counts_the_tracked_files_no_scenario_guards(repo: Repo) -> None:
    _unguarded_repo(repo, "warn")
    res = repo.smoke("list", "--unguarded")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[:2] == ["README", "docs/d.txt"]
    assert res.stdout.splitlines()[-1].startswith("2 of 4 tracked file(s) (50%) guarded by no scenario's paths")
    doc = json.loads(repo.smoke("list", "--unguarded", "--json").stdout)
    assert doc == {"version": 1, "unguarded": ["README", "docs/d.txt"], "count": 2, "tracked": 4, "share": 0.5}


def test_a_bad_unguarded_setting_is_one_clear_line(repo: Repo) -> None:
    repo.manifest(GUARDS_SRC.format(mode="sometimes"))
    res = repo.smoke("gate")
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == ("smoke gate: error: tests/smoke/manifest.toml:3: settings key 'unguarded': must be \"warn\","
                          ' "block" or "all"\n')


# ---------------------------------------------------------------- route 14: exclusive holds across processes


def test_exclusive_holds_across_two_smoke_processes(repo: Repo, tmp_path: Path) -> None:
    import subprocess

    shared = tmp_path / "shared"
    shared.mkdir()
    repo.manifest(f"""
[[scenario]]
name = "first"
run = "mkdir {shared}/port || {{ echo overlap; exit 1; }}; touch {shared}/first-holds; while [ ! -e {shared}/release ]; do sleep 0.05; done; rmdir {shared}/port; echo ok"
exclusive = ["port-8080"]
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "second"
run = "mkdir {shared}/port || {{ echo overlap; exit 1; }}; rmdir {shared}/port; echo ok"
exclusive = ["port-8080"]
[scenario.expect]
stdout_contains = ["ok"]
""")
    assert repo.commit("two exclusive scenarios").returncode == 0
    first = subprocess.Popen([SMOKE, "run", "first"], cwd=repo.path, env=repo.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    second = None
    try:
        deadline = time.monotonic() + 60
        while not (shared / "first-holds").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.Popen([SMOKE, "run", "second"], cwd=repo.path, env=repo.env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert second.stdout is not None
        waited = second.stdout.readline()
        while waited.startswith("smoke: 1 scenario(s)"):
            waited = second.stdout.readline()
        (shared / "release").touch()
        out_second = waited + second.stdout.read()
        assert second.wait(timeout=60) == 0, out_second
        out_first = first.communicate(timeout=60)[0]
        assert first.returncode == 0, out_first
    finally:
        (shared / "release").touch()
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert waited == "smoke: second waits for exclusive 'port-8080', held by another smoke run here\n"


# ---------------------------------------------------------------- the index's skip-worktree flag (red team, this session)


def _hide_manifest_edit(repo: Repo) -> None:
    """The agent's edit: the task's only scenario no longer names it, and git status is told not to look."""
    repo.git("update-index", "--skip-worktree", "tests/smoke/manifest.toml")
    repo.manifest(BROKEN.replace('owners = ["t1"]', 'owners = ["someone-else"]').replace("src/**", "nothing/**"))
    assert repo.git("status", "--porcelain").stdout == ""


def test_a_manifest_edit_hidden_from_git_status_does_not_pass_an_agents_done(broken: Repo) -> None:
    _hide_manifest_edit(broken)
    res = _done(broken, {"WG_AGENT_ID": "a1"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "owner 't1' was removed" in res.stdout + res.stderr


def test_a_manifest_edit_hidden_from_git_status_does_not_pass_an_agents_commit(broken: Repo) -> None:
    _hide_manifest_edit(broken)
    broken.write("src/app.txt", "changed\n")
    broken.git("add", "src/app.txt")
    res = broken.smoke("gate", "--stage", "pre-commit", "--no-reuse", env={"WG_AGENT_ID": "a1"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "login_works" in res.stdout + res.stderr
    assert "temporary checkout" in res.stdout + res.stderr


# ---------------------------------------------------------------- a kept scenario's script, at `wg done` (red team)

SCRIPTED = """
[[scenario]]
name = "s1"
script = "scenarios/s1.sh"
owners = ["t1"]
[scenario.expect]
stdout_contains = ["login ok"]
"""


@pytest.fixture
def scripted(repo: Repo) -> Repo:
    repo.manifest(SCRIPTED)
    repo.write("tests/smoke/scenarios/s1.sh", "grep -q accept src/a.txt && echo login ok\n")
    repo.write("src/a.txt", "accept\n")
    assert repo.commit("guarded").returncode == 0
    return repo


def test_an_agents_done_refuses_a_gutted_script(scripted: Repo) -> None:
    scripted.write("tests/smoke/scenarios/s1.sh", "echo login ok\n")  # the agent's edit: the check is gone
    scripted.write("src/a.txt", "broken\n")
    res = _done(scripted, {"WG_AGENT_ID": "a1"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "scenarios/s1.sh" in res.stdout + res.stderr
    # A person may fix a script: the same edit passes their gate (and runs the edited script).
    assert _done(scripted).returncode == 0


def test_an_agents_done_refuses_a_gutted_script_committed_on_its_branch(scripted: Repo) -> None:
    scripted.git("checkout", "-q", "-b", "wg/t1")
    scripted.write("tests/smoke/scenarios/s1.sh", "echo login ok\n")
    scripted.write("src/a.txt", "broken\n")
    assert scripted.commit("gut the check").returncode == 0  # --no-verify
    res = _done(scripted, {"WG_AGENT_ID": "a1"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "scenarios/s1.sh" in res.stdout + res.stderr


def test_a_file_added_then_deleted_is_nothing_grow_only_lost(scripted: Repo) -> None:
    scripted.write("tests/smoke/scenarios/new.sh", "echo new\n")
    scripted.git("add", "tests/smoke/scenarios/new.sh")
    (scripted.path / "tests/smoke/scenarios/new.sh").unlink()
    assert "AD tests/smoke/scenarios/new.sh" in scripted.git("status", "--porcelain").stdout
    res = _done(scripted, {"WG_AGENT_ID": "a1"})
    assert res.returncode == 0, res.stdout + res.stderr
    assert "grow-only" not in res.stdout + res.stderr


def test_a_gate_started_in_a_folder_that_is_gone_fails_in_one_line(scripted: Repo) -> None:
    gone = scripted.path / "gone"
    gone.mkdir()
    res = subprocess.run(
        ["sh", "-c", f'cd "{gone}" && rmdir "{gone}" && exec "{SMOKE}" gate --stage done --task t1'],
        env=scripted.env, capture_output=True, text=True,
    )
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr == "smoke: error: the current folder no longer exists (cd to one that does)\n"


def test_an_agents_done_refuses_a_gutted_script_hidden_from_git_status(scripted: Repo) -> None:
    scripted.git("update-index", "--skip-worktree", "tests/smoke/scenarios/s1.sh")
    scripted.write("tests/smoke/scenarios/s1.sh", "echo login ok\n")
    scripted.write("src/a.txt", "broken\n")
    assert "s1.sh" not in scripted.git("status", "--porcelain").stdout
    assert "s1.sh" not in scripted.git("diff", "HEAD", "--name-only").stdout
    res = _done(scripted, {"WG_AGENT_ID": "a1"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "the content of scenarios/s1.sh" in res.stdout + res.stderr
    res = scripted.smoke("check", "--grow-only", env={"WG_AGENT_ID": "a1"})
    assert res.returncode == 1 and "the content of scenarios/s1.sh" in res.stdout + res.stderr, res.stdout + res.stderr
