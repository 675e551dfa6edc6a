"""Benchmarks for smoke-gate, each printed as a ratio against a baseline
measured in the same run (the machines are shared and noisy).

    python tests/bench/run.py            # everything
    python tests/bench/run.py noop add   # some of: noop doors reuse memory parallel list add trivial
    python tests/bench/run.py doors --instructions   # also count instructions (valgrind): the same on a busy machine

It builds its own synthetic repositories in a temporary folder and removes them.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent / "smoke"
SMOKE = str(BIN) if BIN.exists() else (shutil.which("smoke") or "smoke")
ENV = {
    # PYTHONDONTWRITEBYTECODE would make every start recompile the package: a
    # real install has its bytecode, so the benchmark lets it be written.
    **{k: v for k, v in os.environ.items() if not k.startswith(("SMOKE_", "WG_", "GIT_", "PYTHONDONTWRITEBYTECODE"))},
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
    "NO_COLOR": "1",
}
TARGETS = {
    "noop": "within 6x a bare interpreter start",
    "door": "within 4x a bare interpreter (pre-commit, pre-push)",
    "door-done": "within 5x a bare interpreter (done, agent stop)",
    "reuse": "at most 15% of the first gate",
    "memory": "under 100 MiB",
    "kept": "under 100 MiB",
    "parallel": "at least 10x faster than the serial sum",
    "list2k": "within 0.5 s",
    "list10k": "within 2.5 s",
    "add": "within 0.5 s",
    "trivial": "within 3x the shell loop",
}


def sh(cmd: list[str], cwd: Path, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, check=check, input=input)


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of `repeat` calls, after one warm-up."""
    fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def cpu_of(fn: Callable[[], object]) -> float:
    """CPU seconds (user + system) that `fn`'s child processes used: less swayed by a busy machine than wall time."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    fn()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


INSTRUCTIONS = False  # --instructions: also count what each door executes, with valgrind


def instructions(cmd: list[str], cwd: Path, env: dict[str, str] = ENV, stdin: str | None = None) -> int:
    """Instructions `cmd` executes (its own process, not the git it starts), counted by valgrind's callgrind:
    unlike time, the count does not change with the load of a shared machine."""
    res = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
    )
    for line in res.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1].strip())
    raise SystemExit(f"valgrind counted nothing for {cmd}: {res.stderr[-500:]}")


def timed_pair(a: Callable[[], object], b: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Medians of `a` and `b` measured alternately, so that a machine that
    speeds up or slows down during the run affects both alike."""
    a()
    b()
    sa, sb = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        a()
        sa.append(time.perf_counter() - t)
        t = time.perf_counter()
        b()
        sb.append(time.perf_counter() - t)
    return statistics.median(sa), statistics.median(sb)


def make_repo(path: Path, manifest: str, files: dict[str, str] | None = None) -> Path:
    path.mkdir(parents=True)
    sh(["git", "init", "-q", "-b", "main"], path)
    (path / "tests/smoke").mkdir(parents=True)
    (path / "tests/smoke/manifest.toml").write_text(manifest)
    for rel, text in (files or {}).items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    sh(["git", "add", "-A"], path)
    sh(["git", "commit", "-qm", "init", "--no-verify"], path)
    return path


def scenarios_toml(n: int, run: str = "true", paths: bool = True) -> str:
    out = ["# synthetic manifest\n[settings]\njobs = 8\n"]
    for i in range(n):
        out.append(
            f'\n[[scenario]]\nname = "s{i:05d}"\nrun = "{run}"\nowners = ["task-{i % 97}"]\n'
            + (f'paths = ["src/mod{i:05d}/**", "!src/mod{i:05d}/docs/**"]\n' if paths else "")
            + 'description = "synthetic"\ntimeout_seconds = 30\n'
            + "[scenario.expect]\nexit_code = 0\n"
        )
    return "".join(out)


def row(label: str, value: str, ratio: str, target: str) -> None:
    print(f"{label:<52} {value:>8} {ratio:>14}   target: {target}")


# ------------------------------------------------------------ the benchmarks


def bench_noop(tmp: Path) -> None:
    repo = make_repo(tmp / "noop", scenarios_toml(108))
    (repo / "docs").mkdir()
    (repo / "docs/readme.md").write_text("x\n")
    sh(["git", "add", "docs/readme.md"], repo)
    base, gate = timed_pair(
        lambda: sh([sys.executable, "-I", "-S", "-c", "pass"], repo),
        lambda: sh([SMOKE, "gate", "--stage", "pre-commit", "docs/readme.md"], repo),
        21,
    )
    out = sh([SMOKE, "gate", "--stage", "pre-commit", "docs/readme.md"], repo).stdout
    assert "nothing to run" in out, out
    row("no-op gate, 108 scenarios", f"{gate * 1000:.0f} ms", f"{gate / base:.1f}x interp", TARGETS["noop"])
    print(f"{'':<52} {'':>8} {'':>14}   (bare interpreter: {base * 1000:.0f} ms)")


def workgraph_toml(n: int) -> tuple[str, dict[str, str]]:
    """A workgraph-style manifest (name, script, owners, description, timeout_seconds) and its scripts."""
    out, files = [], {}
    for i in range(n):
        out.append(
            f'[[scenario]]\nname = "wg_scenario_{i:03d}"\nscript = "scenarios/s{i:03d}.sh"\n'
            f'owners = ["task-{i % 97}"]\ndescription = "what scenario {i} protects, in words"\ntimeout_seconds = 30\n\n'
        )
        files[f"tests/smoke/scenarios/s{i:03d}.sh"] = "#!/bin/bash\necho ok\n"
    return "".join(out), files


def bench_doors(tmp: Path) -> None:
    """The no-op gate (nothing selected) at each door, on a 324-scenario workgraph manifest."""
    manifest, files = workgraph_toml(324)
    repo = make_repo(tmp / "doors", manifest, {**files, "docs/readme.md": "x\n"})
    base_sha = sh(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    (repo / "docs/readme.md").write_text("y\n")
    sh(["git", "commit", "-qam", "docs", "--no-verify"], repo)
    head_sha = sh(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    push_line = f"refs/heads/main {head_sha} refs/heads/main {base_sha}\n"
    (repo / "docs/readme.md").write_text("z\n")
    sh(["git", "add", "docs/readme.md"], repo)
    agent = {**ENV, "WG_AGENT_ID": "agent-1"}
    caches = repo / ".git" / "smoke"

    claude = {**ENV, "CLAUDECODE": "1", "SMOKE_TASK": "no-such-task"}
    stop_input = json.dumps({
        "session_id": "bench", "transcript_path": "/tmp/bench.jsonl", "cwd": str(repo), "permission_mode": "default",
        "hook_event_name": "Stop", "stop_hook_active": False, "last_assistant_message": "Done.",
    })

    def stop() -> str:
        res = subprocess.run([SMOKE, "agent-hook", "claude", "Stop"], cwd=repo, env=claude, input=stop_input,
                             capture_output=True, text=True)
        assert res.returncode == 0 and "block" not in res.stdout, (res.stdout, res.stderr)
        return res.stdout

    def uncached(env: dict[str, str]) -> None:
        if env is agent:
            # An agent's gate trusts nothing an agent could have written in the git
            # directory: measured as a gate that finds no cache at all.
            for cache in caches.glob("manifest-cache*"):
                cache.unlink()

    def run(args: list[str], env: dict[str, str] = ENV, stdin: str | None = None) -> str:
        uncached(env)
        res = subprocess.run([SMOKE, *args], cwd=repo, env=env, input=stdin, capture_output=True, text=True)
        assert res.returncode == 0 and "nothing to run" in res.stdout, (args, res.stdout, res.stderr)
        return res.stdout

    done = ["gate", "--task", "no-such-task", "--stage", "done"]
    doors = [
        ("pre-commit", lambda: run(["gate", "--stage", "pre-commit"]), "door"),
        ("pre-push", lambda: run(["gate", "--stage", "pre-push"], stdin=push_line), "door"),
        ("done (wg done)", lambda: run(done), "door-done"),
        ("done with WG_AGENT_ID set, no cache trusted", lambda: run(done, env=agent), "door-done"),
        ("agent stop (smoke agent-hook claude Stop)", stop, "door-done"),
    ]
    # The same doors as valgrind runs them (--instructions).
    counted = [
        (["gate", "--stage", "pre-commit"], ENV, None),
        (["gate", "--stage", "pre-push"], ENV, push_line),
        (done, ENV, None),
        (done, agent, None),
        (["agent-hook", "claude", "Stop"], claude, stop_input),
    ]
    bare = lambda: sh([sys.executable, "-I", "-S", "-c", "pass"], repo)  # noqa: E731
    bare_count = instructions([sys.executable, "-I", "-S", "-c", "pass"], repo) if INSTRUCTIONS else 0
    for (label, door, target), (args, env, stdin) in zip(doors, counted, strict=True):
        base, gate = timed_pair(bare, door, 15)
        cpu_base = statistics.median(cpu_of(bare) for _ in range(9))
        cpu_gate = statistics.median(cpu_of(door) for _ in range(9))
        row(f"no-op gate, 324 scenarios, {label}", f"{gate * 1000:.0f} ms", f"{gate / base:.1f}x interp", TARGETS[target])
        print(f"{'':<52} {'':>8} {'':>14}   (bare interpreter: {base * 1000:.0f} ms; CPU time, git included:"
              f" {cpu_gate * 1000:.0f} ms = {cpu_gate / cpu_base:.1f}x the interpreter's)")
        if INSTRUCTIONS:
            door()  # the cache as the timed runs leave it
            uncached(env)
            count = instructions([SMOKE, *args], repo, env, stdin)
            print(f"{'':<52} {'':>8} {'':>14}   (instructions, git not included: {count / 1e6:.0f} M ="
                  f" {count / bare_count:.1f}x the bare interpreter's {bare_count / 1e6:.0f} M)")


def bench_reuse(tmp: Path) -> None:
    """A second gate on an unchanged tree against the first: 40 scenarios of 0.4 s at -j 8."""
    repo = make_repo(tmp / "reuse", scenarios_toml(40, run="sleep 0.4; echo ok", paths=False))
    records = repo / ".git" / "smoke" / "reuse"
    gate = [SMOKE, "gate", "--task", "task-1", "--full-smoke", "-j", "8", "--json"]
    firsts, seconds, reused = [], [], []
    for _ in range(3):
        shutil.rmtree(records, ignore_errors=True)
        for took in (firsts, seconds):
            t = time.perf_counter()
            res = sh(gate, repo, check=False)
            took.append(time.perf_counter() - t)
            doc = json.loads(res.stdout)
            assert doc["summary"]["pass"] == 40, res.stderr
        # A pass that left processes behind is not recorded, so a few may run again.
        reused.append(sum(r["reused"] for r in doc["results"]))
    first, second = statistics.median(firsts), statistics.median(seconds)
    row("second gate, unchanged tree, 40 x 0.4 s at -j 8", f"{second:.2f} s", f"{second / first:.0%} of first",
        TARGETS["reuse"])
    print(f"{'':<52} {'':>8} {'':>14}   (first gate: {first:.2f} s; reused {min(reused)}-{max(reused)} of 40)")


def bench_memory(tmp: Path) -> None:
    """Peak memory of smoke, and what it keeps on disk, for a scenario printing 300 MB."""
    size = 300_000_000
    run = f"echo begin; yes an ordinary line of output | head -c {size}; echo; echo end"
    manifest = (
        f'[[scenario]]\nname = "loud"\nrun = "{run}"\n'
        '[scenario.expect]\nstdout_contains = ["begin", "end"]\nstdout_not_contains = ["Traceback"]\n'
    )
    repo = make_repo(tmp / "memory", manifest)
    # A child of its own, so that its peak is smoke's alone (RUSAGE_CHILDREN keeps the largest child's).
    probe = (
        "import resource, subprocess, sys\n"
        "res = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(res.returncode, peak)\n"
    )
    t = time.perf_counter()
    out = sh([sys.executable, "-c", probe, SMOKE, "run", "--all", "--no-reuse"], repo).stdout.split()
    took = time.perf_counter() - t
    assert out[0] == "0", out
    peak = int(out[1]) * 1024
    kept = sum(p.stat().st_size for p in (repo / ".git/smoke/runs").rglob("*") if p.is_file())
    mib = 1024 * 1024
    row("300 MB of output: peak memory of smoke", f"{peak / mib:.0f} MiB", f"{peak / size:.0%} of output",
        TARGETS["memory"])
    row("300 MB of output: bytes kept on disk", f"{kept / mib:.0f} MiB", f"{kept / size:.1%} of output",
        TARGETS["kept"])
    print(f"{'':<52} {'':>8} {'':>14}   (judged PASS in {took:.1f} s)")


def bench_parallel(tmp: Path) -> None:
    repo = make_repo(tmp / "parallel", scenarios_toml(40, run="sleep 0.4", paths=False))

    def run(jobs: int) -> float:
        t = time.perf_counter()
        res = sh([SMOKE, "run", "--all", "-j", str(jobs), "--json", "--no-reuse"], repo, check=False)
        took = time.perf_counter() - t
        assert json.loads(res.stdout)["summary"]["pass"] == 40, res.stderr
        return took

    serial = run(1)
    wall = run(40)
    row("40 x sleep 0.4 at -j 40", f"{wall:.2f} s", f"{serial / wall:.1f}x faster", TARGETS["parallel"])
    print(f"{'':<52} {'':>8} {'':>14}   (the same 40 at -j 1: {serial:.2f} s)")


def bench_list(tmp: Path, n: int, changed: int) -> None:
    repo = make_repo(tmp / f"list{n}", scenarios_toml(n))
    # Uncommitted changes spread over many modules: tens of thousands of files at 10k.
    for i in range(changed):
        d = repo / "src" / f"mod{(i * 7) % (n * 2):05d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.txt").write_text("x")
    base = timed(lambda: sh([sys.executable, "-I", "-S", "-c", "pass"], repo), 5)
    took = timed(lambda: sh([SMOKE, "list", "--task", "task-3", "--json"], repo), 3)
    doc = json.loads(sh([SMOKE, "list", "--task", "task-3", "--json"], repo).stdout)
    key = "list2k" if n == 2000 else "list10k"
    row(f"list --task, {n} scenarios, {changed} changed files", f"{took:.2f} s",
        f"{took / base:.0f}x interp", TARGETS[key])
    print(f"{'':<52} {'':>8} {'':>14}   ({len(doc['scenarios'])} selected)")


def bench_add(tmp: Path) -> None:
    repo = make_repo(tmp / "add", scenarios_toml(2000))
    base = timed(lambda: sh([sys.executable, "-I", "-S", "-c", "pass"], repo), 5)
    counter = iter(range(10**6))

    def add() -> None:
        i = next(counter)
        res = sh([SMOKE, "add", f"added_{i}", "--owner", "t", "--run", "echo ok", "--contains", "ok"], repo, check=False)
        if res.returncode != 0:
            raise SystemExit(f"smoke add failed: {res.stderr}")

    took = timed(add, 5)
    row("add to a 2000-scenario manifest", f"{took:.2f} s", f"{took / base:.0f}x interp", TARGETS["add"])


def bench_trivial(tmp: Path) -> None:
    repo = make_repo(tmp / "trivial", scenarios_toml(300, run="echo ok", paths=False))
    loop = "for i in $(seq 300); do bash -c 'echo ok' > /dev/null; done"
    base = timed(lambda: sh(["bash", "-c", loop], repo), 3)
    took = timed(lambda: sh([SMOKE, "run", "--all", "-j", "2", "--no-reuse"], repo), 3)
    row("300 trivial scenarios at -j 2", f"{took:.2f} s", f"{took / base:.1f}x loop", TARGETS["trivial"])
    print(f"{'':<52} {'':>8} {'':>14}   (shell loop: {base:.2f} s)")


BENCHES: dict[str, Callable[[Path], None]] = {
    "noop": bench_noop,
    "doors": bench_doors,
    "reuse": bench_reuse,
    "memory": bench_memory,
    "parallel": bench_parallel,
    "list": lambda tmp: (bench_list(tmp, 2000, 2000), bench_list(tmp, 10000, 20000)),
    "add": bench_add,
    "trivial": bench_trivial,
}


def main(argv: list[str]) -> int:
    global INSTRUCTIONS
    INSTRUCTIONS = "--instructions" in argv
    if INSTRUCTIONS and not shutil.which("valgrind"):
        print("--instructions needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    argv = [a for a in argv if a != "--instructions"]
    chosen = argv or list(BENCHES)
    unknown = [c for c in chosen if c not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {list(BENCHES)}", file=sys.stderr)
        return 2
    print(f"smoke-gate benchmarks ({os.cpu_count()} cores, {SMOKE})")
    with tempfile.TemporaryDirectory(prefix="smoke-bench-") as tmp:
        for name in chosen:
            BENCHES[name](Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
