"""`smoke init` end to end: what it writes, that it never overwrites, the
shell helpers it ships, and the workgraph preset's loud skips."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest
from helpers import Repo

MANIFEST = "tests/smoke/manifest.toml"
SCENARIOS = "tests/smoke/scenarios"
WG_SCENARIOS = (
    "nex_two_message_against_lambda01",
    "dispatcher_boot_no_orphan_supervisor",
    "claude_executor_with_global_openrouter_default",
    "priority_int_and_string_deserialize",
    "chat_create_via_ipc_works",
)
HAS_CHECK = importlib.util.find_spec("smoke.commands.check") is not None
needs_check = pytest.mark.skipif(not HAS_CHECK, reason="smoke check (smoke/commands/check.py) is not built yet")


def _snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file outside .git: content, mode and modification time."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] == ".git" or not path.is_file():
            continue
        st = path.stat()
        out[str(rel)] = (path.read_bytes(), st.st_mode, st.st_mtime_ns)
    return out


def _json(res: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    return json.loads(res.stdout)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- default preset


def test_init_writes_manifest_scenarios_helpers_and_agent_block(repo: Repo) -> None:
    res = repo.smoke("init")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[:5] == [
        f"smoke init: preset 'default' in {repo.path}",
        f"  created    {SCENARIOS}/example.sh",
        f"  created    {SCENARIOS}/helpers.sh",
        f"  created    {MANIFEST}",
        "  created    AGENTS.md (with the smoke-gate block)",
    ]
    manifest = repo.read(MANIFEST)
    for rule in ("No eyeball gates", "Live, not stubs", "Loud skips", "Grow-only"):
        assert rule in manifest
    # The header is all comments: the rules travel with the file without changing it.
    assert all(line.startswith("#") for line in manifest.split("\n\n[settings]")[0].splitlines())
    doc = tomllib.loads(manifest)
    (example,) = doc["scenario"]
    assert example["script"] == "scenarios/example.sh"
    assert example["expect"]["lines_in_order"] and example["expect"]["files"]
    example_mode = (repo.path / SCENARIOS / "example.sh").stat().st_mode
    helpers_mode = (repo.path / SCENARIOS / "helpers.sh").stat().st_mode
    assert example_mode & stat.S_IXUSR and not helpers_mode & stat.S_IXUSR  # helpers are sourced, never run
    agents = repo.read("AGENTS.md")
    assert agents.startswith("<!-- smoke-gate:begin -->\n") and agents.endswith("<!-- smoke-gate:end -->\n")
    for rule in ("smoke gate --task <task-id>", "Never skip or weaken a scenario", "--regression-of <bad-commit>",
                 "A SKIP is not a pass", f"`{MANIFEST}`"):
        assert rule in agents


def test_a_freshly_initialised_repo_passes_run_all(repo: Repo) -> None:
    assert repo.smoke("init").returncode == 0
    res = repo.smoke("run", "--all")
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r"^example_scratch_roundtrip\.+PASS \d+\.\d\ds$", res.stdout, re.M), res.stdout
    assert "smoke: 1 passed, 0 failed" in res.stdout


@needs_check
def test_a_freshly_initialised_repo_passes_check_strict(repo: Repo) -> None:
    for preset in ("default", "workgraph"):
        shutil.rmtree(repo.path / "tests", ignore_errors=True)
        assert repo.smoke("init", "--preset", preset).returncode == 0
        res = repo.smoke("check", "--strict")
        assert res.returncode == 0, preset + ": " + res.stdout + res.stderr
        assert ": warning:" not in res.stdout + res.stderr, preset


def test_the_example_guards_the_helpers_it_sources(repo: Repo) -> None:
    repo.smoke("init")
    repo.commit("smoke init")
    repo.write(f"{SCENARIOS}/helpers.sh", "exit 5\n")
    res = repo.smoke("list", "--changed", "--json")
    assert _json(res)["scenarios"] == [{
        "name": "example_scratch_roundtrip",
        "reasons": [f"path: {SCENARIOS}/helpers.sh matches {SCENARIOS}/helpers.sh"],
    }]
    res = repo.smoke("run", "--changed")
    assert res.returncode == 1 and "example_scratch_roundtrip" in res.stdout


def test_init_twice_changes_nothing(repo: Repo) -> None:
    for preset in ("default", "workgraph"):
        shutil.rmtree(repo.path / "tests", ignore_errors=True)
        (repo.path / "AGENTS.md").unlink(missing_ok=True)
        assert repo.smoke("init", "--preset", preset).returncode == 0
        before = _snapshot(repo.path)
        res = repo.smoke("init", "--preset", preset)
        assert res.returncode == 0
        assert _snapshot(repo.path) == before
        assert "created" not in res.stdout and "updated" not in res.stdout
        assert f"  kept       {MANIFEST} (exists; smoke init never overwrites a file)" in res.stdout
        assert "  unchanged  AGENTS.md (smoke-gate block already current)" in res.stdout


def test_init_never_overwrites_user_files(repo: Repo) -> None:
    repo.write(MANIFEST, "# mine\n")
    repo.write(f"{SCENARIOS}/helpers.sh", "# my helpers\n")
    res = repo.smoke("init", "--preset", "workgraph")
    assert res.returncode == 0
    assert repo.read(MANIFEST) == "# mine\n"
    assert repo.read(f"{SCENARIOS}/helpers.sh") == "# my helpers\n"
    assert f"  kept       {SCENARIOS}/helpers.sh (exists; smoke init never overwrites a file)" in res.stdout
    # The preset's scripts are not dropped beside a manifest that does not run them.
    assert not (repo.path / SCENARIOS / "chat_create_via_ipc_works.sh").exists()
    assert f"note: {MANIFEST} already exists, so the 'workgraph' preset's scenarios were not added" in res.stdout


def test_init_replaces_only_the_marked_block(repo: Repo) -> None:
    before = "# Project rules\r\n\r\nUse tabs.\r\n\r\n"
    after = "\r\n## Later section\r\nkeep me\r\n"
    stale = "<!-- smoke-gate:begin -->\r\nold instructions\r\n<!-- smoke-gate:end -->\r\n"
    (repo.path / "AGENTS.md").write_bytes((before + stale + after).encode())
    res = repo.smoke("init")
    assert "  updated    AGENTS.md (smoke-gate block replaced)" in res.stdout
    text = (repo.path / "AGENTS.md").read_bytes().decode()
    assert text.startswith(before) and text.endswith(after)
    block = text[len(before) : -len(after)]
    assert "old instructions" not in block and "smoke gate --task <task-id>" in block
    assert "\n" not in block.replace("\r\n", "")  # the file's CRLF line endings are kept
    assert repo.smoke("init").stdout.count("unchanged  AGENTS.md") == 1


def test_init_appends_the_block_after_existing_text(repo: Repo) -> None:
    repo.write("CLAUDE.md", "# Notes for Claude\nno trailing blank line")
    res = repo.smoke("init")
    assert "  updated    CLAUDE.md (smoke-gate block replaced)" in res.stdout
    text = repo.read("CLAUDE.md")
    assert text.startswith("# Notes for Claude\nno trailing blank line\n\n<!-- smoke-gate:begin -->\n")
    # CLAUDE.md exists, so that is where the instructions go; no AGENTS.md appears.
    assert not (repo.path / "AGENTS.md").exists()


def test_init_writes_every_instructions_file_once(repo: Repo) -> None:
    repo.write("AGENTS.md", "# Agents\n")
    os.symlink("AGENTS.md", repo.path / "CLAUDE.md")
    res = repo.smoke("init")
    assert res.stdout.count("smoke-gate block") == 1
    assert repo.read("AGENTS.md").count("<!-- smoke-gate:begin -->") == 1
    assert (repo.path / "CLAUDE.md").is_symlink()
    (repo.path / "CLAUDE.md").unlink()
    repo.write("CLAUDE.md", "# Claude\n")
    res = repo.smoke("init")
    assert "  unchanged  AGENTS.md (smoke-gate block already current)" in res.stdout
    assert "  updated    CLAUDE.md (smoke-gate block replaced)" in res.stdout


def test_a_begin_marker_without_end_is_one_line_exit_2(repo: Repo) -> None:
    repo.write("AGENTS.md", "intro\n<!-- smoke-gate:begin -->\nhalf a block\n")
    res = repo.smoke("init")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1] == (
        f"smoke init: error: {repo.path / 'AGENTS.md'}:2: a '<!-- smoke-gate:begin -->' marker without a "
        "'<!-- smoke-gate:end -->' after it (restore the end marker (or delete the begin line) and re-run 'smoke init')"
    )
    assert "Traceback" not in res.stderr
    assert repo.read("AGENTS.md") == "intro\n<!-- smoke-gate:begin -->\nhalf a block\n"


def test_init_outside_a_repository_is_exit_2(repo: Repo, tmp_path: Path) -> None:
    alone = tmp_path / "not-a-repo"
    alone.mkdir()
    res = repo.smoke("init", cwd=alone, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert res.returncode == 2
    assert res.stderr == (
        "smoke init: error: not inside a git repository "
        "(run 'git init' first: smoke gates git commits, pushes and 'wg done')\n"
    )
    assert list(alone.iterdir()) == []


def test_init_with_an_explicit_manifest_path(repo: Repo) -> None:
    res = repo.smoke("init", "--manifest", "qa/smoke.toml")
    assert res.returncode == 0, res.stderr
    assert (repo.path / "qa/scenarios/helpers.sh").is_file()
    assert "`qa/smoke.toml`" in repo.read("AGENTS.md")
    assert repo.smoke("run", "--all", "--manifest", "qa/smoke.toml").returncode == 0
    res = repo.smoke("init", "--manifest", "../elsewhere.toml")
    assert res.returncode == 2 and "is outside the repository" in res.stderr


# ---------------------------------------------------------------- shell helpers


HELPER_SCENARIOS = """
[[scenario]]
name = "skips_loudly"
run = "source tests/smoke/scenarios/helpers.sh; echo noise >&2; loud_skip 'lambda01 is down'; echo unreachable"
[scenario.expect]
stdout_contains = ["never"]

[[scenario]]
name = "needs_a_command"
run = "source tests/smoke/scenarios/helpers.sh; require_cmd bash no-such-tool-here; echo unreachable"
[scenario.expect]
stdout_contains = ["never"]

[[scenario]]
name = "needs_an_env_var"
run = "source tests/smoke/scenarios/helpers.sh; require_env NO_SUCH_SMOKE_VAR 'the endpoint'; echo unreachable"
[scenario.expect]
stdout_contains = ["never"]

[[scenario]]
name = "closed_endpoint"
run = "source tests/smoke/scenarios/helpers.sh; require_endpoint http://127.0.0.1:$CLOSED/v1; echo unreachable"
[scenario.expect]
stdout_contains = ["never"]

[[scenario]]
name = "open_endpoint"
run = "source tests/smoke/scenarios/helpers.sh; require_endpoint 127.0.0.1:$OPEN; echo reached"
[scenario.expect]
stdout_contains = ["reached"]

[[scenario]]
name = "cleans_up_in_reverse_and_keeps_the_exit_code"
script = "scenarios/cleanup.sh"
[scenario.expect]
exit_code = 3
lines_in_order = ["body", "cleanup second", "cleanup first"]
files = [{ path = "$SMOKE_SCRATCH/work/data", contains = ["x"] }]
"""

CLEANUP_SCRIPT = """\
set -euo pipefail
source "$SMOKE_MANIFEST_DIR/scenarios/helpers.sh"
dir="$(make_scratch work)"
case "$dir" in "$SMOKE_SCRATCH"/*) ;; *) loud_fail "scratch $dir is outside $SMOKE_SCRATCH" ;; esac
echo x > "$dir/data"
sleep 300 &
add_cleanup kill "$!"
[ "$(scenario_pids 'sleep 300')" = "$!" ] || loud_fail "scenario_pids did not find the sleeper"
add_cleanup echo "cleanup first"
add_cleanup echo "cleanup second"
echo body
exit 3
"""


def test_helpers_skip_loudly_and_clean_up(repo: Repo) -> None:
    repo.smoke("init")
    repo.write(f"{SCENARIOS}/cleanup.sh", CLEANUP_SCRIPT)
    repo.manifest(HELPER_SCENARIOS)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        env = {"CLOSED": str(_free_port()), "OPEN": str(listener.getsockname()[1])}
        res = repo.smoke("run", "--all", "--json", env=env)
    by = {r["name"]: r for r in _json(res)["results"]}
    assert {n: r["status"] for n, r in by.items()} == {
        "skips_loudly": "skip", "needs_a_command": "skip", "needs_an_env_var": "skip",
        "closed_endpoint": "skip", "open_endpoint": "pass",
        "cleans_up_in_reverse_and_keeps_the_exit_code": "pass",
    }, res.stderr
    assert by["skips_loudly"]["reason"] == "noise / lambda01 is down"
    assert by["needs_a_command"]["reason"] == (
        "required command 'no-such-tool-here' is not on PATH (install it or put it on PATH)"
    )
    assert by["needs_an_env_var"]["reason"] == "$NO_SUCH_SMOKE_VAR is not set (the endpoint)"
    assert by["closed_endpoint"]["reason"] == (
        f"endpoint http://127.0.0.1:{env['CLOSED']}/v1 unreachable "
        f"(no TCP connection to 127.0.0.1:{env['CLOSED']} within 2s)"
    )
    assert by["cleans_up_in_reverse_and_keeps_the_exit_code"]["exit_code"] == 3


def test_helpers_run_by_hand_make_and_remove_their_own_scratch(repo: Repo) -> None:
    repo.smoke("init")
    script = repo.write("by_hand.sh", """\
        source tests/smoke/scenarios/helpers.sh
        echo "scratch=$(make_scratch here)"
        loud_skip "no wg here"
    """)
    res = subprocess.run(["bash", str(script)], cwd=repo.path, env=repo.env, capture_output=True, text=True)
    assert res.returncode == 77
    bar = "!" * 78
    assert res.stderr == f"{bar}\n!!! SKIPPED, NOT PASSED: by_hand.sh\n{bar}\nno wg here\n"
    scratch = Path(res.stdout.strip().split("=", 1)[1])
    assert scratch.name == "here" and not scratch.parent.exists()


def _shell_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.sh"))


def test_shell_templates_pass_bash_n_and_shellcheck(repo: Repo) -> None:
    templates = Path(str(files("smoke") / "templates"))
    for path in _shell_files(templates):
        res = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert res.returncode == 0, f"{path}: {res.stderr}"
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed; bash -n passed")
    for preset in ("default", "workgraph"):
        shutil.rmtree(repo.path / "tests", ignore_errors=True)
        repo.smoke("init", "--preset", preset)
        folder = repo.path / SCENARIOS
        scripts = [str(p.relative_to(folder)) for p in _shell_files(folder)]
        res = subprocess.run([shellcheck, "-x", *scripts], cwd=folder, capture_output=True, text=True)
        assert res.returncode == 0, f"{preset}: {res.stdout}"


# ---------------------------------------------------------------- workgraph preset


def test_workgraph_preset_holds_the_five_initial_scenarios(repo: Repo) -> None:
    res = repo.smoke("init", "--preset", "workgraph")
    assert res.returncode == 0, res.stderr
    doc = tomllib.loads(repo.read(MANIFEST))
    assert [s["name"] for s in doc["scenario"]] == list(WG_SCENARIOS)
    positive = {"stdout_contains", "stdout_matches", "lines_in_order", "json", "files", "stdout_equals"}
    for sc in doc["scenario"]:
        assert sc["owners"] and "cmd:wg" in sc["requires"], sc["name"]
        assert positive & set(sc["expect"]), sc["name"]
        script = repo.path / "tests/smoke" / sc["script"]
        text = script.read_text()
        assert script.stat().st_mode & stat.S_IXUSR, sc["name"]
        assert re.search(r"^# Relies on: .*\bwg \w+", text, re.M), sc["name"]
        assert 'scenarios/helpers.sh"' in text and "set -euo pipefail" in text, sc["name"]
    for name in ("nex_two_message_against_lambda01", "chat_create_via_ipc_works"):
        assert "require_wg_endpoint" in repo.read(f"{SCENARIOS}/{name}.sh")
    assert "require_env WG_SMOKE_ENDPOINT" in repo.read(f"{SCENARIOS}/lib/wg.sh")
    assert "smoke install --wg-shim DIR" in res.stdout


def test_workgraph_preset_without_wg_is_five_loud_skips(repo: Repo) -> None:
    if shutil.which("wg", path=repo.env["PATH"]):
        pytest.skip("wg is installed here; this test is about a machine without it")
    repo.smoke("init", "--preset", "workgraph")
    res = repo.smoke("run", "--all")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "smoke: 0 passed, 0 failed, 5 skipped" in res.stdout
    for name in WG_SCENARIOS:
        assert f"!!!   {name}: required command 'wg' is not on PATH" in res.stdout
    res = repo.smoke("run", "--all", "--json")
    assert [r["status"] for r in _json(res)["results"]] == ["skip"] * 5
    assert all("'wg'" in r["reason"] for r in _json(res)["results"])
    assert repo.smoke("run", "--all", "--fail-on-skip").returncode == 1


def test_workgraph_chat_scenarios_skip_loudly_without_the_endpoint(repo: Repo, tmp_path: Path) -> None:
    # A `wg` that fails if called: these scenarios must stop at their endpoint
    # precondition, before they run wg at all.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "wg").write_text("#!/bin/sh\necho 'wg must not be called' >&2\nexit 99\n")
    (bin_dir / "wg").chmod(0o755)
    repo.smoke("init", "--preset", "workgraph")
    names = ("nex_two_message_against_lambda01", "chat_create_via_ipc_works")
    path = f"{bin_dir}{os.pathsep}{repo.env['PATH']}"
    res = repo.smoke("run", *names, "--json", env={"PATH": path})
    results = _json(res)["results"]
    assert [r["status"] for r in results] == ["skip", "skip"], res.stderr
    for r in results:
        assert r["reason"].startswith("$WG_SMOKE_ENDPOINT is not set"), r
    closed = f"http://127.0.0.1:{_free_port()}/v1"
    res = repo.smoke("run", *names, "--json", env={"PATH": path, "WG_SMOKE_ENDPOINT": closed})
    for r in _json(res)["results"]:
        assert r["status"] == "skip" and r["reason"].startswith(f"endpoint {closed} unreachable"), r
    assert res.returncode == 0


def test_helpers_run_the_cleanups_when_smoke_ends_a_scenario(repo: Repo) -> None:
    repo.smoke("init")
    repo.write(f"{SCENARIOS}/hangs.sh", """\
        source "$SMOKE_MANIFEST_DIR/scenarios/helpers.sh"
        add_cleanup touch "$SMOKE_REPO_ROOT/cleaned-up"
        echo started
        sleep 60
    """)
    repo.manifest("""
        [settings]
        kill_grace_seconds = 30

        [[scenario]]
        name = "hangs"
        script = "scenarios/hangs.sh"
        # Room to source the helpers and set the trap on a loaded machine: a
        # timeout before `add_cleanup` ran would leave nothing to clean up.
        timeout_seconds = 5
        [scenario.expect]
        stdout_contains = ["never"]
    """)
    res = repo.smoke("run", "hangs", "--json")
    (r,) = _json(res)["results"]
    assert r["status"] == "timeout"
    # TERM went to the whole tree; the helpers' trap turned it into an exit that ran the cleanups.
    assert (repo.path / "cleaned-up").exists()
