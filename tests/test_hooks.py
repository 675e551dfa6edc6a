"""Native git hooks: `smoke install`, then real `git commit` and `git push` to a real bare remote."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest
from helpers import Repo

ROOT = Path(__file__).resolve().parent.parent

MANIFEST = """
[[scenario]]
name = "login_works"
script = "scenarios/login.sh"
owners = ["fix-login"]
paths = ["src/login/**"]
[scenario.expect]
stdout_contains = ["login ok"]
"""

REFUSED_HINT = "smoke-gate: commit refused: fix what broke (each broken scenario is named above).\n"


@pytest.fixture
def guarded(repo: Repo) -> Repo:
    """A repository with one scenario guarding src/login, passing, hooks installed."""
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/login.sh", "cat src/login/state.txt\n")
    repo.write("src/login/state.txt", "login ok\n")
    repo.write("docs/notes.txt", "notes\n")
    assert repo.commit("guard login").returncode == 0
    res = repo.smoke("install")
    assert res.returncode == 0, res.stderr
    return repo


@pytest.fixture
def remote(guarded: Repo, tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    guarded.git("init", "-q", "--bare", str(bare))
    guarded.git("remote", "add", "origin", str(bare))
    res = guarded.git("push", "-q", "origin", "main", check=False)
    assert res.returncode == 0, res.stderr
    return bare


def _remote_head(repo: Repo, bare: Path, ref: str = "refs/heads/main") -> str:
    return repo.git("--git-dir", str(bare), "rev-parse", "--verify", "-q", ref, check=False).stdout.strip()


def _git_with(repo: Repo, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo.path, env={**repo.env, **env}, capture_output=True, text=True)


def _audit(repo: Repo) -> list[dict[str, object]]:
    path = repo.path / ".git" / "smoke" / "audit.log"
    return [json.loads(line) for line in path.read_text().splitlines()]


# ------------------------------------------------------------ smoke install


def test_install_writes_both_hooks_and_rerunning_is_idempotent(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    res = repo.smoke("install")
    assert (res.returncode, res.stdout, res.stderr) == (0, (
        "smoke install: pre-commit hook installed at .git/hooks/pre-commit\n"
        "smoke install: pre-push hook installed at .git/hooks/pre-push\n"
    ), "")
    for name in ("pre-commit", "pre-push"):
        hook = repo.path / ".git" / "hooks" / name
        assert os.access(hook, os.X_OK)
        text = hook.read_text()
        # The Python that ran `smoke install` runs the hook, so a shell without it on PATH is still gated.
        (line,) = [x for x in text.splitlines() if x.startswith("SMOKE_PYTHON=")]
        (python,) = shlex.split(line[len("SMOKE_PYTHON="):])
        version = subprocess.run([python, "-m", "smoke", "--version"], capture_output=True, text=True)
        assert version.stdout.startswith("smoke-gate "), version.stderr
        assert text.replace(line, "SMOKE_PYTHON=''") == (ROOT / "hooks" / name).read_text()
    res = repo.smoke("install")
    assert res.stdout == (
        "smoke install: pre-commit hook already installed at .git/hooks/pre-commit\n"
        "smoke install: pre-push hook already installed at .git/hooks/pre-push\n"
    )


def test_install_updates_an_older_copy_of_its_own_hook(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    hook = repo.write(".git/hooks/pre-push", "#!/bin/sh\n# smoke-gate-hook\nexit 0\n", executable=True)
    res = repo.smoke("install")
    assert "smoke install: pre-push hook updated at .git/hooks/pre-push\n" in res.stdout
    assert "smoke gate --stage pre-push" in hook.read_text().replace('"${smoke[@]}"', "smoke")
    assert not list(hook.parent.glob("*.smoke-backup*"))


def test_install_respects_core_hooks_path(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    repo.git("config", "core.hooksPath", "githooks")
    res = repo.smoke("install")
    assert res.stdout == (
        "smoke install: pre-commit hook installed at githooks/pre-commit\n"
        "smoke install: pre-push hook installed at githooks/pre-push\n"
    )
    assert not (repo.path / ".git" / "hooks" / "pre-commit").exists()


def test_install_refuses_a_foreign_hook_and_force_keeps_a_backup(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    mine = "#!/bin/sh\necho my own checks\n"
    repo.write(".git/hooks/pre-commit", mine, executable=True)
    res = repo.smoke("install")
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == (
        "smoke install: error: will not overwrite .git/hooks/pre-commit: not written by smoke-gate "
        "(re-run with --force to replace it (a backup is kept))\n"
    )
    assert repo.read(".git/hooks/pre-commit") == mine
    assert not (repo.path / ".git" / "hooks" / "pre-push").exists(), "a refused install writes nothing"

    res = repo.smoke("install", "--force")
    assert res.returncode == 0, res.stderr
    assert res.stdout == (
        "smoke install: pre-commit hook installed at .git/hooks/pre-commit; "
        "the previous one was kept as .git/hooks/pre-commit.smoke-backup\n"
        "smoke install: pre-push hook installed at .git/hooks/pre-push\n"
    )
    assert repo.read(".git/hooks/pre-commit.smoke-backup") == mine
    assert "# smoke-gate-hook" in repo.read(".git/hooks/pre-commit")


def test_install_points_pre_commit_framework_users_at_the_config(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    repo.write(".git/hooks/pre-commit", "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n")
    res = repo.smoke("install")
    assert res.returncode == 2
    assert res.stderr == (
        "smoke install: error: will not overwrite .git/hooks/pre-commit (the pre-commit framework's): "
        "not written by smoke-gate (re-run with --force to replace it (a backup is kept), or add the "
        "smoke-gate hooks to .pre-commit-config.yaml instead (see docs/hooks.md))\n"
    )


def test_install_warns_that_without_a_manifest_everything_is_refused(repo: Repo) -> None:
    res = repo.smoke("install")
    assert res.returncode == 0
    assert res.stdout.endswith(
        f"smoke install: note: no manifest at {repo.path / 'tests/smoke/manifest.toml'} "
        "(run 'smoke init' to create one, or pass --manifest PATH); "
        "commits and pushes are refused until there is one ('smoke init')\n"
    )


def test_install_outside_a_repository_is_a_usage_error(tmp_path: Path, repo: Repo) -> None:
    res = repo.smoke("install", cwd=tmp_path)
    assert (res.returncode, res.stderr) == (
        2, "smoke install: error: not inside a git repository (run 'smoke install' in the repository to guard)\n",
    )


def test_hooks_folder_is_the_shipped_scripts() -> None:
    # One copy: the package ships smoke/hook_scripts/, and hooks/ (the layout
    # SPEC.md names, and what a reader looks for) links to it.
    shipped = ROOT / "smoke" / "hook_scripts"
    names = sorted(p.name for p in (ROOT / "hooks").iterdir())
    assert names == ["pre-commit", "pre-push", "wg"]
    assert sorted(p.name for p in shipped.iterdir()) == names
    for name in names:
        assert (ROOT / "hooks" / name).resolve() == (shipped / name).resolve()
        assert os.access(ROOT / "hooks" / name, os.X_OK)


# ------------------------------------------------------------ git commit


def test_commit_breaking_a_guarded_path_is_refused_and_names_the_scenario(guarded: Repo) -> None:
    before = guarded.head()
    guarded.write("src/login/state.txt", "login broken\n")
    res = guarded.commit("break login", verify=True)
    assert res.returncode == 1
    assert "smoke gate refused the commit: 1 scenario(s) broken \u2014 login_works (stdout lacks 'login ok')\n" in res.stderr
    assert res.stderr.endswith(REFUSED_HINT)
    assert guarded.head() == before

    # A commit that touches nothing guarded passes without running anything.
    guarded.git("restore", "--staged", "src/login/state.txt")
    guarded.write("docs/notes.txt", "more notes\n")
    res = guarded.commit("notes", "docs/notes.txt", verify=True)
    assert res.returncode == 0, res.stderr
    assert "smoke gate: no scenario protects this change; nothing to run\n" in res.stderr

    guarded.write("src/login/state.txt", "login ok\n")
    guarded.write("src/login/extra.txt", "fixed for real\n")
    res = guarded.commit("fix login", verify=True)
    assert res.returncode == 0, res.stderr
    assert "login_works" in res.stderr and "PASS" in res.stderr


def test_commit_deleting_a_guarded_file_runs_its_scenario(guarded: Repo) -> None:
    guarded.git("rm", "-q", "src/login/state.txt")
    res = guarded.git("commit", "-m", "drop state", check=False)
    assert res.returncode == 1
    assert "login_works (" in res.stderr


def test_commit_runs_the_current_tasks_scenarios_even_off_its_paths(guarded: Repo) -> None:
    guarded.write("src/login/state.txt", "login broken\n")
    guarded.commit("broken, committed without the gate")
    guarded.git("checkout", "-q", "-b", "wg/fix-login")
    guarded.write("docs/notes.txt", "unrelated\n")
    res = guarded.commit("notes", verify=True)
    assert res.returncode == 1
    assert "login_works" in res.stderr


# ------------------------------------------------------------ git push


def test_push_of_a_breaking_commit_made_with_no_verify_is_refused(guarded: Repo, remote: Path) -> None:
    pushed = _remote_head(guarded, remote)
    guarded.write("src/login/state.txt", "login broken\n")
    assert guarded.commit("break login, skipping the commit hook").returncode == 0
    res = guarded.git("push", "origin", "main", check=False)
    assert res.returncode != 0
    assert "smoke gate refused the push: 1 scenario(s) broken \u2014 login_works (stdout lacks 'login ok')\n" in res.stdout + res.stderr
    assert _remote_head(guarded, remote) == pushed

    guarded.write("src/login/state.txt", "login ok\n")
    assert guarded.commit("fix login").returncode == 0
    res = guarded.git("push", "origin", "main", check=False)
    assert res.returncode == 0, res.stderr
    assert _remote_head(guarded, remote) == guarded.head()


def test_push_checks_every_pushed_ref_including_new_branches(guarded: Repo, remote: Path) -> None:
    guarded.manifest(MANIFEST + """
[[scenario]]
name = "billing_broken"
run = "echo billing is down; exit 1"
paths = ["src/billing/**"]
""")
    assert guarded.commit("guard billing").returncode == 0
    assert guarded.git("push", "-q", "origin", "main", check=False).returncode == 0
    guarded.git("checkout", "-q", "-b", "feature")
    guarded.write("src/billing/rates.txt", "1\n")
    assert guarded.commit("touch billing").returncode == 0
    guarded.git("checkout", "-q", "main")
    guarded.write("docs/notes.txt", "v2\n")
    assert guarded.commit("notes").returncode == 0
    feature = guarded.git("rev-parse", "feature").stdout.strip()
    res = guarded.git("push", "origin", "main", "feature", check=False)
    assert res.returncode != 0
    out = res.stdout + res.stderr
    # Each pushed commit is tested on its own: main in place, feature in a checkout of it.
    assert "smoke gate: no scenario protects the push of main; nothing to run\n" in out
    assert f"smoke gate: testing feature ({feature[:7]}) in a temporary checkout: it is not what is checked out\n" in out
    assert "smoke gate refused the push of feature: 1 scenario(s) broken \u2014 billing_broken (exit 1)\n" in out
    assert _remote_head(guarded, remote, "refs/heads/feature") == ""

    res = guarded.git("push", "origin", "main", check=False)
    assert res.returncode == 0, res.stderr


def _drop_scenario_commit(repo: Repo) -> None:
    """Commit, skipping the commit hook, a manifest without the login scenario but with another one."""
    repo.manifest("""
[[scenario]]
name = "notes_exist"
run = "cat docs/notes.txt"
paths = ["docs/**"]
[scenario.expect]
stdout_contains = ["notes"]
""")
    assert repo.commit("drop the login scenario, skipping the commit hook").returncode == 0


def test_push_of_a_shrink_made_with_no_verify_is_refused(guarded: Repo, remote: Path) -> None:
    pushed = _remote_head(guarded, remote)
    _drop_scenario_commit(guarded)
    res = guarded.git("push", "origin", "main", check=False)
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert (f"smoke check --grow-only: refs/heads/main ({pushed[:12]}..{guarded.head()[:12]}):\n"
            "tests/smoke/manifest.toml: scenario 'login_works' (line 2 at ") in out
    assert "smoke check --grow-only refused: 1 removal(s) or weakening(s) in the push" in out
    assert _remote_head(guarded, remote) == pushed
    # Skipping the scenarios is not shrinking the suite: SMOKE_SKIP_SMOKE does not get it through.
    res = _git_with(guarded, {"SMOKE_SKIP_SMOKE": "1"}, "push", "origin", "main")
    assert res.returncode != 0
    assert _remote_head(guarded, remote) == pushed
    # Restoring it in a later commit makes the pushed result whole again.
    guarded.manifest(MANIFEST)
    assert guarded.commit("restore the login scenario").returncode == 0
    res = guarded.git("push", "origin", "main", check=False)
    assert res.returncode == 0, res.stderr
    assert _remote_head(guarded, remote) == guarded.head()


def test_push_of_a_new_branch_that_shrinks_the_suite_is_refused(guarded: Repo, remote: Path) -> None:
    guarded.git("checkout", "-q", "-b", "feature")
    _drop_scenario_commit(guarded)
    guarded.git("checkout", "-q", "main")
    guarded.write("docs/notes.txt", "notes v2\n")
    assert guarded.commit("notes").returncode == 0
    res = guarded.git("push", "origin", "main", "feature", check=False)
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "smoke check --grow-only: refs/heads/feature (" in out
    assert "scenario 'login_works'" in out
    assert _remote_head(guarded, remote, "refs/heads/feature") == ""


def test_a_human_may_push_a_shrink_with_allow_shrink_audited(guarded: Repo, remote: Path) -> None:
    _drop_scenario_commit(guarded)
    res = _git_with(guarded, {"SMOKE_ALLOW_SHRINK": "1", "WG_AGENT_ID": "agent-7"}, "push", "origin", "main")
    assert res.returncode != 0
    assert "SMOKE_ALLOW_SHRINK is not honoured for agents (WG_AGENT_ID is set)" in res.stdout + res.stderr
    res = _git_with(guarded, {"SMOKE_ALLOW_SHRINK": "1"}, "push", "origin", "main")
    assert res.returncode == 0, res.stderr
    assert "!!! SMOKE_ALLOW_SHRINK=1: 1 removal(s) or weakening(s) of the smoke suite ALLOWED." in res.stderr
    (entry,) = _audit(guarded)
    assert (entry["action"], entry["stage"]) == ("allow-shrink", "pre-push")
    assert _remote_head(guarded, remote) == guarded.head()


def test_push_deleting_a_branch_runs_nothing(guarded: Repo, remote: Path) -> None:
    guarded.git("checkout", "-q", "-b", "old")
    guarded.write("src/login/state.txt", "login broken\n")
    guarded.commit("broken on a branch")
    guarded.git("checkout", "-q", "main")
    guarded.git("push", "-q", "--no-verify", "origin", "old")
    res = guarded.git("push", "origin", "--delete", "old", check=False)
    assert res.returncode == 0, res.stderr
    assert "smoke gate: no scenario protects this change; nothing to run\n" in res.stdout + res.stderr
    assert _remote_head(guarded, remote, "refs/heads/old") == ""


# ------------------------------------------------------------ bypass


def test_skip_smoke_is_loud_audited_and_names_the_task(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    res = repo.smoke("gate", "--task", "fix-login", "--stage", "done", "--skip-smoke", "--reason", "endpoint down",
                     env={"USER": "erik", "LOGNAME": "erik"})
    log = repo.path / ".git" / "smoke" / "audit.log"
    bar = "!" * 79
    assert (res.returncode, res.stdout) == (0, "")
    assert res.stderr == (
        f"{bar}\n!!! SMOKE GATE BYPASSED with --skip-smoke for task 'fix-login': no scenario was run.\n"
        f"!!! Reason: endpoint down\n!!! Recorded in the audit log: {log}\n{bar}\n"
    )
    (entry,) = _audit(repo)
    assert {k: entry[k] for k in ("action", "user", "task", "stage", "reason", "agent")} == {
        "action": "skip-smoke", "user": "erik", "task": "fix-login", "stage": "done",
        "reason": "endpoint down", "agent": {},
    }
    assert isinstance(entry["time"], str) and entry["time"][:2] == "20"


def test_skip_smoke_is_refused_for_agents_whatever_their_environment_says(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    res = repo.smoke("gate", "--task", "fix-login", "--skip-smoke", env={"WG_AGENT_ID": "agent-7"})
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr == (
        "smoke gate: --skip-smoke refused: the caller is an agent (WG_AGENT_ID is set). Fix the failing scenario"
        " instead. If the gate must be passed without it, ask a person to run 'smoke allow --task fix-login"
        " --reason ...' in their own terminal.\n"
    )
    assert not (repo.path / ".git" / "smoke" / "audit.log").exists()
    bar = "!" * 79
    for var in ("SMOKE_AGENT_OVERRIDE", "WG_SMOKE_AGENT_OVERRIDE"):
        res = repo.smoke("gate", "--task", "fix-login", "--skip-smoke", env={"WG_AGENT_ID": "agent-7", var: "1"})
        assert res.returncode == 1, res.stderr
        assert res.stderr.startswith(
            f"{bar}\n!!! smoke gate: IGNORED: {var} is set, but no environment variable lets an agent past"
            f" the smoke gate\n{bar}\n"
        )
        assert "SMOKE GATE BYPASSED" not in res.stderr
    assert not (repo.path / ".git" / "smoke" / "audit.log").exists()


def test_agent_variables_come_from_settings_and_wg_agent_id_always_counts(repo: Repo) -> None:
    repo.manifest('[settings]\nagent_env = ["MY_BOT"]\n' + MANIFEST)
    res = repo.smoke("gate", "--skip-smoke", env={"MY_BOT": "1"})
    assert res.returncode == 1
    assert "the caller is an agent (MY_BOT is set)" in res.stderr
    # Listing other variables never drops the default one.
    res = repo.smoke("gate", "--skip-smoke", env={"MY_BOT": "1", "WG_AGENT_ID": "agent-7"})
    assert res.returncode == 1
    assert "the caller is an agent (WG_AGENT_ID, MY_BOT is set)" in res.stderr


def test_hooks_are_bypassed_by_humans_through_the_environment_and_audited(guarded: Repo) -> None:
    guarded.write("src/login/state.txt", "login broken\n")
    guarded.git("add", "-A")
    res = _git_with(guarded, {"WG_AGENT_ID": "agent-7", "SMOKE_SKIP_SMOKE": "1"}, "commit", "-m", "agent tries")
    assert res.returncode == 1
    assert "--skip-smoke refused: the caller is an agent (WG_AGENT_ID is set)" in res.stderr

    human = {"SMOKE_SKIP_SMOKE": "1", "SMOKE_SKIP_REASON": "demo tomorrow, fixing after"}
    res = _git_with(guarded, human, "commit", "-m", "human bypass")
    assert res.returncode == 0, res.stderr
    assert "!!! SMOKE GATE BYPASSED with SMOKE_SKIP_SMOKE=1: no scenario was run.\n" in res.stderr
    (entry,) = _audit(guarded)
    assert (entry["stage"], entry["reason"]) == ("pre-commit", "demo tomorrow, fixing after")


# ------------------------------------------------------------ what runs in smoke-gate's place (red-team review)


def _impostors(repo: Repo, tmp_path: Path) -> dict[str, str]:
    """A smoke.py and a smoke/ package that pass everything: one at the top of the
    repository, one on PYTHONPATH. Only a hook that runs whatever `-m smoke` finds first runs them.
    (Red-team review.)"""
    repo.write("smoke.py", "raise SystemExit(0)\n")
    fake = tmp_path / "impostor" / "smoke"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text("raise SystemExit(0)\n")
    repo.git("add", "smoke.py")
    # And a file bash would run before the hook's first line, printing what the scenario wants.
    bash_env = tmp_path / "bash_env.sh"
    bash_env.write_text("echo 'login ok'; exit 0\n")
    return {"PYTHONPATH": str(fake.parent), "BASH_ENV": str(bash_env), "CLAUDECODE": "1"}


def test_a_smoke_module_in_the_repository_or_on_pythonpath_does_not_pass_the_commit(guarded: Repo, tmp_path: Path) -> None:
    agent = _impostors(guarded, tmp_path)
    guarded.write("src/login/state.txt", "login broken\n")
    guarded.git("add", "-A")
    before = guarded.head()
    res = _git_with(guarded, agent, "commit", "-m", "break login")
    assert res.returncode == 1, res.stdout + res.stderr
    assert guarded.head() == before
    assert "login_works" in res.stdout + res.stderr
    # The refusal an agent reads names no way round it.
    assert "SMOKE_SKIP_SMOKE" not in res.stdout + res.stderr
    assert res.stderr.endswith(REFUSED_HINT)


def test_bash_env_does_not_run_before_a_scenario(guarded: Repo, tmp_path: Path) -> None:
    """BASH_ENV makes every non-interactive bash run a file first: `echo login ok; exit 0` would pass any scenario."""
    evil = tmp_path / "evil.sh"
    evil.write_text("echo 'login ok'; exit 0\n")
    guarded.write("src/login/state.txt", "login broken\n")
    res = guarded.smoke("gate", "--task", "fix-login", "--stage", "done", env={"BASH_ENV": str(evil), "ENV": str(evil)})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "login_works" in res.stdout and "FAIL" in res.stdout
