"""Reliability: process trees are ended, timeouts cannot be fooled, interrupts are
prompt, scratch is removed, internal errors never pass, concurrent runs stay apart.

Every case starts real processes; scenario scripts write their pids to files and
each test asserts afterwards that none of them survives.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import SMOKE
from helpers import Repo
from helpers import alive

# A generous guard against hangs, never a timing assertion.
HANG_GUARD = 90


@pytest.fixture
def tmpdir_env(tmp_path: Path) -> dict[str, str]:
    """A TMPDIR of the test's own, so scratch left behind can be seen."""
    d = tmp_path / "tmp"
    d.mkdir()
    return {"TMPDIR": str(d)}


def _pids(folder: Path) -> list[int]:
    pids = []
    for f in folder.glob("*.pid"):
        pids.extend(int(x) for x in f.read_text().split())
    return pids


def _wait_for(predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + HANG_GUARD
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def _assert_all_gone(pids: list[int]) -> None:
    assert pids, "the scenarios recorded no pids; the test proves nothing"
    survivors = [p for p in pids if alive(p)]
    assert not survivors, f"still running: {survivors}"


def _scratch_left(tmp: dict[str, str]) -> list[str]:
    return sorted(p.name for p in Path(tmp["TMPDIR"]).glob("smoke-scratch-*"))


def _results(res: subprocess.CompletedProcess[str]) -> dict[str, dict]:  # type: ignore[type-arg]
    doc = json.loads(res.stdout)
    return {r["name"]: r for r in doc["results"]}


# ---------------------------------------------------------------- trees


ESCAPES = r"""
P="$PIDS"
sleep 300 & echo $! > "$P/plain.pid"
setsid sleep 300 & echo $! > "$P/setsid.pid"
( sleep 300 & echo $! > "$P/doublefork.pid" ) &
( setsid sh -c 'echo $$ > "$0/setsid_doublefork.pid"; exec sleep 300' "$P" & ) &
setsid sh -c 'echo $$ > "$0/noenv.pid"; exec env -i sleep 300' "$P" &
( setsid sh -c 'echo $$ > "$0/noenv_doublefork.pid"; exec env -i sleep 300' "$P" & ) &
for f in plain setsid doublefork setsid_doublefork noenv noenv_doublefork; do
  while [ ! -s "$P/$f.pid" ]; do sleep 0.01; done
done
echo all started
"""


def test_a_passing_scenario_has_every_escape_ended_and_reported(repo: Repo, tmp_path: Path, tmpdir_env: dict[str, str]) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    repo.manifest("""
        [[scenario]]
        name = "escapes"
        script = "escapes.sh"
        [scenario.expect]
        stdout_contains = ["all started"]
    """)
    repo.write("tests/smoke/escapes.sh", ESCAPES)
    res = repo.smoke("run", "--all", "--json", env={"PIDS": str(pids), **tmpdir_env})
    assert res.returncode == 0, res.stdout + res.stderr
    result = _results(res)["escapes"]
    assert result["status"] == "pass"
    started = _pids(pids)
    assert len(started) == 6
    reported = {int(line.split()[0]) for line in result["leftovers"]}
    assert set(started) <= reported, (started, result["leftovers"])
    assert f"left {len(result['leftovers'])} process(es) running; ended them" in res.stderr
    assert "left running:" in res.stderr
    _assert_all_gone(started)
    assert _scratch_left(tmpdir_env) == []


@pytest.mark.parametrize("body", [
    pytest.param("trap '' TERM; echo $$ > \"$PIDS/root.pid\"; sleep 3; sleep 3; echo done; exit 0", id="ignores-term"),
    pytest.param("trap 'echo trapped; exit 0' TERM; echo $$ > \"$PIDS/root.pid\"; "
                 "sleep 300 & echo $! > \"$PIDS/child.pid\"; wait; echo done", id="trap-exits-0"),
])
def test_a_scenario_past_its_timeout_is_a_timeout_whatever_it_exits(repo: Repo, tmp_path: Path, body: str) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    repo.manifest(f"""
        [settings]
        kill_grace_seconds = 0.5
        [[scenario]]
        name = "stubborn"
        run = '''{body}'''
        timeout_seconds = 0.5
        [scenario.expect]
        stdout_contains = ["done"]
    """)
    res = repo.smoke("run", "--all", "--json", env={"PIDS": str(pids)})
    assert res.returncode == 1, res.stdout + res.stderr
    result = _results(res)["stubborn"]
    assert result["status"] == "timeout"
    assert result["reason"] == "timed out after 0.5s"
    assert "TIMEOUT" in res.stderr
    _assert_all_gone(_pids(pids))


RESPAWNER = r"""
trap '' TERM
echo $$ > "$PIDS/root.pid"
spawn() {
  ( trap '' TERM; while :; do sleep 300 & echo $! >> "$PIDS/kids.pid"; wait; done ) &
  echo $! >> "$PIDS/spawners.pid"
}
for i in 1 2 3 4; do spawn; done
# keep forking new spawners until ended
while :; do spawn; sleep 0.05; done
"""


def test_a_respawning_tree_that_ignores_term_is_ended_on_timeout(repo: Repo, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    repo.manifest("""
        [settings]
        kill_grace_seconds = 0.5
        [[scenario]]
        name = "respawner"
        script = "respawner.sh"
        timeout_seconds = 1
        [scenario.expect]
        stdout_contains = ["never"]
    """)
    repo.write("tests/smoke/respawner.sh", RESPAWNER)
    res = repo.smoke("run", "--all", "--json", env={"PIDS": str(pids)})
    assert res.returncode == 1, res.stdout + res.stderr
    assert _results(res)["respawner"]["status"] == "timeout"
    _assert_all_gone(_pids(pids))


def test_retries_and_failures_also_end_their_trees(repo: Repo, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    repo.manifest("""
        [[scenario]]
        name = "fails_leaving_a_daemon"
        run = 'setsid sleep 300 & echo $! >> "$PIDS/d.pid"; exit 3'
        retries = 1
    """)
    res = repo.smoke("run", "--all", "--json", env={"PIDS": str(pids)})
    assert res.returncode == 1
    result = _results(res)["fails_leaving_a_daemon"]
    assert result["status"] == "fail" and result["attempts"] == 2
    assert len(result["leftovers"]) == 1
    started = _pids(pids)
    assert len(started) == 2
    _assert_all_gone(started)


# ---------------------------------------------------------------- interrupts


INTERRUPT_MANIFEST = """
[settings]
kill_grace_seconds = 1
[[scenario]]
name = "quick"
run = "echo quick"
[scenario.expect]
stdout_contains = ["quick"]

[[scenario]]
name = "sleeper"
run = 'echo $$ > "$PIDS/sleeper.pid"; sleep 600 & echo $! >> "$PIDS/sleeper.pid"; touch "$PIDS/sleeper.started"; wait'
timeout_seconds = 900
exclusive = ["slot"]
[scenario.expect]
stdout_contains = ["never"]

[[scenario]]
name = "deaf"
run = '''trap '' TERM INT; echo $$ > "$PIDS/deaf.pid"; setsid sh -c 'trap "" TERM; echo $$ >> "$0/deaf.pid"; exec env -i sleep 600' "$PIDS" & touch "$PIDS/deaf.started"; while :; do sleep 1; done'''
timeout_seconds = 900
[scenario.expect]
stdout_contains = ["never"]

[[scenario]]
name = "later"
run = "echo later"
exclusive = ["slot"]
[scenario.expect]
stdout_contains = ["later"]
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_ends_every_tree_reports_and_exits_130(
    repo: Repo, tmp_path: Path, tmpdir_env: dict[str, str], sig: signal.Signals
) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    repo.manifest(INTERRUPT_MANIFEST)
    out_file = tmp_path / "out.txt"
    env = {**repo.env, "PIDS": str(pids), **tmpdir_env}
    with open(out_file, "w") as out:
        proc = subprocess.Popen(
            [SMOKE, "run", "quick", "sleeper", "deaf", "later", "-j", "3", "--color", "never"],
            cwd=repo.path, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        try:
            _wait_for(lambda: (pids / "sleeper.started").exists() and (pids / "deaf.started").exists()
                      and "quick" in out_file.read_text() and len(_pids(pids)) == 4, "the scenarios to start")
            proc.send_signal(sig)
            code = proc.wait(timeout=HANG_GUARD)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = out_file.read_text()
    assert code == 130, text
    assert "smoke: interrupted: 1 finished, 2 cut short (sleeper, deaf), 1 not started; their processes were ended" in text
    assert "smoke run: interrupted" in text
    _assert_all_gone(_pids(pids))
    assert _scratch_left(tmpdir_env) == []


# ---------------------------------------------------------------- scratch


SCRATCH_MANIFEST = """
[[scenario]]
name = "writes_scratch"
run = 'echo "scratch=$SMOKE_SCRATCH"; echo data > "$SMOKE_SCRATCH/out.txt"; mkdir "$SMOKE_SCRATCH/ro"; touch "$SMOKE_SCRATCH/ro/f"; chmod 500 "$SMOKE_SCRATCH/ro"'
[scenario.expect]
files = [{ path = "$SMOKE_SCRATCH/out.txt", contains = ["data"] }]
"""


def test_scratch_folders_are_removed_after_each_scenario(repo: Repo, tmpdir_env: dict[str, str]) -> None:
    repo.manifest(SCRATCH_MANIFEST)
    res = repo.smoke("run", "--all", "--json", env=tmpdir_env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert _scratch_left(tmpdir_env) == []
    assert os.listdir(tmpdir_env["TMPDIR"]) == []


def test_keep_scratch_keeps_it_and_prints_where(repo: Repo, tmpdir_env: dict[str, str]) -> None:
    repo.manifest(SCRATCH_MANIFEST)
    res = repo.smoke("run", "--all", "--keep-scratch", env=tmpdir_env)
    assert res.returncode == 0, res.stdout + res.stderr
    kept = [line.split("scratch kept: ", 1)[1] for line in res.stdout.splitlines() if "scratch kept: " in line]
    assert len(kept) == 1, res.stdout
    assert (Path(kept[0]) / "out.txt").read_text() == "data\n"
    assert Path(kept[0]).parent.name.startswith("smoke-scratch-")
    (Path(kept[0]) / "ro").chmod(0o700)


# ---------------------------------------------------------------- internal errors


def test_an_internal_error_is_never_a_pass(repo: Repo, tmp_path: Path, tmpdir_env: dict[str, str]) -> None:
    """A sitecustomize breaks the expectation checker inside the real process."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import smoke.expect\n"
        "def check(*args, **kwargs):\n"
        "    raise RuntimeError('injected failure in check')\n"
        "smoke.expect.check = check\n"
    )
    pids = tmp_path / "pids"
    pids.mkdir()
    repo.manifest("""
        [[scenario]]
        name = "would_pass"
        run = 'echo $$ > "$PIDS/root.pid"; setsid sleep 300 & echo $! >> "$PIDS/root.pid"; echo ok'
        [scenario.expect]
        stdout_contains = ["ok"]
    """)
    res = repo.smoke("run", "--all", env={"PYTHONPATH": str(site), "PIDS": str(pids), **tmpdir_env})
    assert res.returncode not in (0, 1), res.stdout + res.stderr
    assert "Traceback (most recent call last)" not in res.stderr
    line = next(ln for ln in res.stderr.splitlines() if "internal error" in ln)
    assert "internal error (RuntimeError); nothing passed. Traceback saved to " in line
    saved = Path(line.split("Traceback saved to ", 1)[1].split(";", 1)[0])
    assert "injected failure in check" in saved.read_text()
    assert "PASS" not in res.stdout
    _assert_all_gone(_pids(pids))
    assert _scratch_left(tmpdir_env) == []


# ---------------------------------------------------------------- concurrency


CONCURRENT_MANIFEST = "\n".join(
    f"""
[[scenario]]
name = "s{n}"
run = '''
echo "label=$LABEL scenario=$SMOKE_SCENARIO"
echo "$LABEL" > "$SMOKE_SCRATCH/mine"
touch "$MEET/$LABEL-$SMOKE_SCENARIO"
other=A; [ "$LABEL" = A ] && other=B
# Both runs are inside this scenario at once before either goes on.
while [ ! -e "$MEET/$other-$SMOKE_SCENARIO" ]; do sleep 0.02; done
[ "$(cat "$SMOKE_SCRATCH/mine")" = "$LABEL" ] || echo "scratch was shared"
echo "done $LABEL"
'''
timeout_seconds = 120
[scenario.expect]
stdout_matches = ['^label=[AB] scenario=s{n}$']
stdout_not_contains = ["scratch was shared"]
"""
    for n in range(4)
)


def test_two_runs_at_once_keep_their_scratch_logs_and_results_apart(
    repo: Repo, tmp_path: Path, tmpdir_env: dict[str, str]
) -> None:
    meet = tmp_path / "meet"
    meet.mkdir()
    repo.manifest(CONCURRENT_MANIFEST)
    procs = {}
    for label in ("A", "B"):
        env = {**repo.env, "LABEL": label, "MEET": str(meet), **tmpdir_env}
        procs[label] = subprocess.Popen(
            [SMOKE, "run", "--all", "--json", "-j", "2"], cwd=repo.path, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
        )
    outputs = {}
    try:
        for label, p in procs.items():
            outputs[label] = p.communicate(timeout=HANG_GUARD)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
    run_dirs = set()
    for label, (stdout, stderr) in outputs.items():
        assert procs[label].returncode == 0, stdout + stderr
        doc = json.loads(stdout)
        assert [r["status"] for r in doc["results"]] == ["pass"] * 4
        for r in doc["results"]:
            log = Path(r["log"])
            assert log.read_text() == f"label={label} scenario={r['name']}\ndone {label}\n"
            run_dirs.add(log.parent)
    assert len(run_dirs) == 2
    history = (repo.path / ".git" / "smoke" / "history.jsonl").read_text().splitlines()
    assert len(history) == 8
    assert sorted(json.loads(line)["name"] for line in history) == sorted([f"s{n}" for n in range(4)] * 2)
    assert _scratch_left(tmpdir_env) == []


def test_reaping_orphans_never_steals_a_scenario_exit_status(repo: Repo, tmp_path: Path) -> None:
    """Orphans re-parent to smoke and are reaped; each root's own exit code still arrives."""
    pids = tmp_path / "pids"
    pids.mkdir()
    repo.manifest("\n".join(
        f"""
[[scenario]]
name = "exits_{n}"
run = '''( setsid sh -c 'echo $$ >> "$0/o.pid"; exec env -i sleep 0.01' "$PIDS" & ); ( setsid env -i sleep 300 & echo $! >> "$PIDS/o.pid" ); exit {n}'''
[scenario.expect]
exit_code = {n}
"""
        for n in range(1, 13)
    ))
    res = repo.smoke("run", "--all", "--json", "-j", "4", env={"PIDS": str(pids)})
    assert res.returncode == 0, res.stdout + res.stderr
    results = _results(res)
    assert {name: r["exit_code"] for name, r in results.items()} == {f"exits_{n}": n for n in range(1, 13)}
    _assert_all_gone(_pids(pids))


def test_a_script_that_cannot_start_is_an_error(repo: Repo) -> None:
    repo.manifest("""
        [[scenario]]
        name = "bad_interpreter"
        script = "bad.sh"
        [scenario.expect]
        stdout_contains = ["hi"]
    """)
    repo.write("tests/smoke/bad.sh", "#!/nonexistent/interpreter\necho hi\n", executable=True)
    res = repo.smoke("run", "--all", "--json")
    assert res.returncode == 1, res.stdout + res.stderr
    result = _results(res)["bad_interpreter"]
    assert result["status"] == "error"
    assert result["reason"].startswith("cannot start ")
    assert "check its #! line" in result["reason"]


def test_an_anonymous_orphan_is_reported_by_the_scenario_that_left_it(repo: Repo, tmp_path: Path) -> None:
    """Issue 12 route 16: an orphan that left its session and cleared its environment names no
    scenario. It was reported by whichever scenario ended first; now only a scenario alive when it
    started can claim it, and one alive alongside others only once they have all ended."""
    pids = tmp_path / "pids"
    pids.mkdir()
    repo.manifest("""
[[scenario]]
name = "early"
run = "sleep 0.2; echo ok"
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "leaker"
run = '''sleep 1; ( setsid env -i sleep 300 & echo $! > "$PIDS/orphan" ); sleep 3; echo ok'''
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "bystander"
run = "sleep 2; echo ok"
[scenario.expect]
stdout_contains = ["ok"]
""")
    res = repo.smoke("run", "--all", "--json", "-j", "3", env={"PIDS": str(pids)})
    assert res.returncode == 0, res.stdout + res.stderr
    results = _results(res)
    orphan = int((pids / "orphan").read_text())
    # "early" ended before the orphan started; "bystander" ended while "leaker" (alive then too) still ran.
    assert results["early"]["leftovers"] == []
    assert results["bystander"]["leftovers"] == []
    (line,) = results["leaker"]["leftovers"]
    assert int(line.split()[0]) == orphan
    assert "it may also be from bystander, alive when it started" in line
    _assert_all_gone([orphan])
