"""The `wg` shim: `wg done <task>` passes the smoke gate first; everything else goes straight to wg.

The real `wg` (workgraph, a Rust binary) cannot be built here. Its stand-in is
the smallest honest executable: a bash script that records the arguments it
was given, copies stdin to stdout for `cat`, reports its pid and waits for a
signal for `wait-term`, and exits with $FAKE_WG_EXIT. The shim under test and
`smoke` are the real, installed ones.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Repo

ROOT = Path(__file__).resolve().parent.parent

STAND_IN = """#!/usr/bin/env bash
# Stand-in for workgraph's wg: records its arguments, one call per line.
for a in "$@"; do printf '[%s]' "$a"; done >> "$(dirname "$0")/calls.log"
echo >> "$(dirname "$0")/calls.log"
case "${1:-}" in
    cat) exec cat ;;
    wait-term)
        trap 'echo "got TERM"; exit 42' TERM
        echo "$$"
        read -r _
        ;;
esac
exit "${FAKE_WG_EXIT:-0}"
"""

MANIFEST = """
[[scenario]]
name = "login_works"
run = "cat src/login/state.txt"
owners = ["fix-login"]
[scenario.expect]
stdout_contains = ["login ok"]

[[scenario]]
name = "unowned_broken"
run = "echo down; exit 1"
owners = ["someone-else"]
"""

REFUSED = (
    "wg (smoke-gate shim): 'wg done fix-login' refused by the smoke gate (exit 1); "
    "the task stays open and wg was not run.\n"
)
MISSING = (
    "wg (smoke-gate shim): the real 'wg' is not on PATH (only this shim was found); "
    "install workgraph, or set SMOKE_REAL_WG=/path/to/wg.\n"
)


class Wg:
    """The shim installed by `smoke install --wg-shim`, ahead of a stand-in wg on PATH."""

    def __init__(self, repo: Repo, tmp_path: Path) -> None:
        self.repo = repo
        self.shim_dir = tmp_path / "shim-bin"
        self.real_dir = tmp_path / "real-bin"
        self.real_dir.mkdir()
        real = self.real_dir / "wg"
        real.write_text(STAND_IN)
        real.chmod(0o755)
        self.install = repo.smoke("install", "--wg-shim", str(self.shim_dir))
        assert self.install.returncode == 0, self.install.stderr
        self.env = dict(repo.env, PATH=os.pathsep.join([str(self.shim_dir), str(self.real_dir), repo.env["PATH"]]))

    def __call__(self, *args: str, env: dict[str, str] | None = None, input: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["wg", *args], cwd=self.repo.path, env={**self.env, **(env or {})},
            input=input, capture_output=True, text=True, timeout=120,
        )

    def calls(self, folder: Path | None = None) -> list[str]:
        log = (folder or self.real_dir) / "calls.log"
        return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def wg(repo: Repo, tmp_path: Path) -> Wg:
    repo.manifest(MANIFEST)
    repo.write("src/login/state.txt", "login ok\n")
    assert repo.commit("guard login").returncode == 0
    return Wg(repo, tmp_path)


def test_install_copies_the_shim_and_says_where_path_must_point(wg: Wg) -> None:
    shim = wg.shim_dir / "wg"
    assert f"smoke install: the wg shim installed at {shim}\n" in wg.install.stdout
    assert wg.install.stdout.endswith(
        f"smoke install: note: put {wg.shim_dir} first on PATH so 'wg' is the shim: "
        f"export PATH=\"{wg.shim_dir}:$PATH\"\n"
    )
    # The shipped shim, with the Python that has smoke-gate installed filled in,
    # and that Python running it with -E -P.
    shipped = (ROOT / "hooks" / "wg").read_text()
    assert "SMOKE_PYTHON = ''\n" in shipped and shipped.startswith("#!/usr/bin/env python3\n")
    expected = shipped.replace("SMOKE_PYTHON = ''\n", f"SMOKE_PYTHON = {sys.executable!r}\n", 1)
    expected = expected.replace("#!/usr/bin/env python3\n", f"#!{sys.executable} -EP\n", 1)
    assert shim.read_text() == expected
    assert os.access(shim, os.X_OK)
    again = subprocess.run(["smoke", "install", "--wg-shim", str(wg.shim_dir)], cwd=wg.repo.path, env=wg.env,
                           capture_output=True, text=True)
    assert again.stdout.splitlines()[-1] == f"smoke install: the wg shim already installed at {shim}"


def test_done_runs_the_gate_then_the_real_wg_with_the_arguments_unchanged(wg: Wg) -> None:
    res = wg("done", "fix-login", "--converged", env={"FAKE_WG_EXIT": "3"})
    assert res.returncode == 3, res.stderr
    assert "login_works" in res.stdout and "PASS" in res.stdout
    assert "unowned_broken" not in res.stdout
    assert wg.calls() == ["[done][fix-login][--converged]"]


def test_done_is_refused_while_an_owned_scenario_fails(wg: Wg) -> None:
    wg.repo.write("src/login/state.txt", "login broken\n")
    res = wg("done", "fix-login")
    assert res.returncode == 1
    assert "smoke gate refused task 'fix-login': 1 scenario(s) broken \u2014 login_works (stdout lacks 'login ok')" in res.stdout
    assert res.stderr.endswith(REFUSED)
    assert wg.calls() == []


def test_global_options_before_done_are_understood(wg: Wg) -> None:
    wg.repo.write("src/login/state.txt", "login broken\n")
    res = wg("--dir", ".workgraph", "done", "fix-login")
    assert res.returncode == 1
    assert res.stderr.endswith(REFUSED)
    assert wg.calls() == []


def test_short_and_unknown_options_before_done_still_gate(wg: Wg) -> None:
    wg.repo.write("src/login/state.txt", "login broken\n")
    for args in (("-d", ".workgraph", "done", "fix-login"), ("--some-new-option", "value", "done", "fix-login")):
        res = wg(*args)
        assert res.returncode == 1, args
        assert res.stderr.endswith(REFUSED)
    assert wg.calls() == []
    # A task that is merely called "done" is not a `wg done`.
    assert wg("show", "done").returncode == 0
    assert wg.calls() == ["[show][done]"]


def test_full_smoke_is_consumed_and_runs_every_scenario(wg: Wg) -> None:
    res = wg("done", "fix-login", "--full-smoke")
    assert res.returncode == 1
    assert "unowned_broken (exit 1)" in res.stdout
    assert wg.calls() == []
    wg.repo.manifest(MANIFEST.replace("echo down; exit 1", "echo up"))
    res = wg("done", "--full-smoke", "fix-login")
    assert res.returncode == 0, res.stdout + res.stderr
    assert wg.calls() == ["[done][fix-login]"]


def test_skip_smoke_is_consumed_audited_and_refused_for_agents(wg: Wg) -> None:
    wg.repo.write("src/login/state.txt", "login broken\n")
    res = wg("done", "fix-login", "--skip-smoke", env={"WG_AGENT_ID": "agent-7"})
    assert res.returncode == 1
    assert "smoke gate: --skip-smoke refused: the caller is an agent (WG_AGENT_ID is set)." in res.stderr
    assert wg.calls() == []

    res = wg("done", "fix-login", "--skip-smoke", env={"SMOKE_SKIP_REASON": "lambda01 is down"})
    assert res.returncode == 0, res.stderr
    assert "!!! SMOKE GATE BYPASSED with --skip-smoke for task 'fix-login': no scenario was run.\n" in res.stderr
    assert wg.calls() == ["[done][fix-login]"]
    audit = (wg.repo.path / ".git" / "smoke" / "audit.log").read_text()
    assert '"task": "fix-login", "stage": "done", "reason": "lambda01 is down"' in audit


def test_other_commands_pass_straight_through(wg: Wg) -> None:
    wg.repo.write("src/login/state.txt", "login broken\n")  # no gate for these: they must not notice
    res = wg("add", "Title with  spaces", "--blocked-by", "x", "--skip-smoke", env={"FAKE_WG_EXIT": "5"})
    assert (res.returncode, res.stdout, res.stderr) == (5, "", "")
    assert wg.calls() == ["[add][Title with  spaces][--blocked-by][x][--skip-smoke]"]
    res = wg("cat", input="line one\nline two\n")
    assert (res.returncode, res.stdout) == (0, "line one\nline two\n")
    res = wg("done", "--help")
    assert res.returncode == 0
    assert wg.calls()[-1] == "[done][--help]"


def test_pass_through_is_exec_so_signals_reach_the_real_wg(wg: Wg) -> None:
    proc = subprocess.Popen(["wg", "wait-term"], cwd=wg.repo.path, env=wg.env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert int(proc.stdout.readline()) == proc.pid, "the real wg must replace the shim, not run under it"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, out) == (42, "got TERM\n")


def test_done_hands_over_by_exec_too(wg: Wg) -> None:
    proc = subprocess.Popen(["wg", "done", "fix-login"], cwd=wg.repo.path, env=wg.env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert wg.calls() == ["[done][fix-login]"]
    assert "login_works" in out


def test_a_missing_real_wg_is_named_clearly(wg: Wg) -> None:
    only_shim = {"PATH": os.pathsep.join([str(wg.shim_dir), wg.repo.env["PATH"]])}
    for args in (["list"], ["done", "fix-login"]):
        res = wg(*args, env=only_shim)
        assert (res.returncode, res.stdout, res.stderr) == (127, "", MISSING), args
    res = wg("list", env={"SMOKE_REAL_WG": str(wg.real_dir / "nope")})
    assert (res.returncode, res.stderr) == (
        127, f"wg (smoke-gate shim): SMOKE_REAL_WG={wg.real_dir / 'nope'} is not an executable file; "
             "point it at the real wg or unset it.\n",
    )


def test_the_real_wg_is_never_a_copy_of_the_shim(wg: Wg, tmp_path: Path) -> None:
    second = tmp_path / "second-shim"
    res = wg.repo.smoke("install", "--wg-shim", str(second))
    assert res.returncode == 0
    path = os.pathsep.join([str(wg.shim_dir), str(second), str(wg.real_dir), wg.repo.env["PATH"]])
    res = wg("list", env={"PATH": path})
    assert res.returncode == 0, res.stderr
    assert wg.calls() == ["[list]"]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "wg").write_text(STAND_IN)
    (elsewhere / "wg").chmod(0o755)
    res = wg("list", env={"SMOKE_REAL_WG": str(elsewhere / "wg")})
    assert res.returncode == 0
    assert wg.calls(elsewhere) == ["[list]"]


def test_dir_option_gates_the_repository_wg_works_on(wg: Wg, tmp_path: Path) -> None:
    # From a folder outside the repository, `wg --dir <repo>/.workgraph done T`
    # must run that repository's gate, not find no manifest and refuse blindly.
    (wg.repo.path / ".workgraph").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    wg.repo.write("src/login/state.txt", "login broken\n")
    res = subprocess.run(
        ["wg", "--dir", str(wg.repo.path / ".workgraph"), "done", "fix-login"],
        cwd=elsewhere, env=wg.env, capture_output=True, text=True, timeout=120,
    )
    assert res.returncode == 1
    assert "login_works (stdout lacks 'login ok')" in res.stdout
    assert wg.calls() == []
    wg.repo.write("src/login/state.txt", "login ok\n")
    res = subprocess.run(
        ["wg", f"--dir={wg.repo.path / '.workgraph'}", "done", "fix-login"],
        cwd=elsewhere, env=wg.env, capture_output=True, text=True, timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert wg.calls() == [f"[--dir={wg.repo.path / '.workgraph'}][done][fix-login]"]


def test_done_with_several_tasks_gates_each_of_them(wg: Wg) -> None:
    wg.repo.manifest(MANIFEST + """
[[scenario]]
name = "billing_works"
run = "echo billing broken"
owners = ["fix-billing"]
[scenario.expect]
stdout_contains = ["billing ok"]
""")
    assert wg.repo.commit("guard billing").returncode == 0
    # The first task passes on its own; the second one's scenario fails, so neither is closed.
    assert wg("done", "fix-login").returncode == 0
    res = wg("done", "fix-login", "fix-billing")
    assert res.returncode == 1
    assert "billing_works" in res.stdout + res.stderr
    assert res.stderr.endswith(
        "wg (smoke-gate shim): 'wg done fix-login fix-billing' refused by the smoke gate for fix-billing (exit 1); "
        "no task was closed and wg was not run.\n"
    )
    assert wg.calls() == ["[done][fix-login]"]
    # In the other order too: every task is gated, not just the first.
    res = wg("done", "fix-billing", "fix-login")
    assert res.returncode == 1
    assert wg.calls() == ["[done][fix-login]"]
    wg.repo.write("tests/smoke/manifest.toml", wg.repo.read("tests/smoke/manifest.toml").replace("echo billing broken", "echo billing ok"))
    assert wg.repo.commit("fix billing").returncode == 0
    res = wg("done", "fix-login", "fix-billing")
    assert res.returncode == 0, res.stderr
    assert wg.calls()[-1] == "[done][fix-login][fix-billing]"
    assert res.stdout.count("login_works") >= 1 and res.stdout.count("billing_works") >= 1


def test_a_smoke_module_in_the_folder_or_on_pythonpath_does_not_pass_wg_done(wg: Wg, tmp_path: Path) -> None:
    """Red-team review: the shim ran `python -m smoke`, which a smoke.py in the agent's
    folder or a smoke/ package on PYTHONPATH could stand in for."""
    wg.repo.write("src/login/state.txt", "login broken\n")
    wg.repo.write("smoke.py", "raise SystemExit(0)\n")
    fake = tmp_path / "impostor" / "smoke"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text("raise SystemExit(0)\n")
    (fake.parent / "typing.py").write_text("raise SystemExit(0)\n")  # a module the shim itself imports
    res = wg("done", "fix-login", env={"PYTHONPATH": str(fake.parent), "WG_AGENT_ID": "a1"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "login_works" in res.stdout
    assert wg.calls() == []
