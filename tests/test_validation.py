"""Validation catches what can never pass: each problem is one line with the
file, the line, the scenario, the key and what to do, and exit 2, from both
`smoke check` and `smoke run`; nothing runs."""
from __future__ import annotations

import pytest
from helpers import Repo

M = "tests/smoke/manifest.toml"


@pytest.mark.parametrize(("manifest", "problem"), [
    (
        '[[scenario]]\nname = "a"\nrun = "exit 300"\n[scenario.expect]\nexit_code = 300\nstdout_contains = ["x"]\n',
        f"{M}:5: scenario 'a' key 'expect.exit_code': 300 can never be an exit code: a process exits with 0 to 255",
    ),
    (
        '[[scenario]]\nname = "a"\nrun = "true"\n[scenario.expect]\nexit_code = [0, -1]\nstdout_contains = ["x"]\n',
        f"{M}:5: scenario 'a' key 'expect.exit_code': -1 can never be an exit code: a process exits with 0 to 255"
        " (a shell reports exit -1 as 255)",
    ),
    (
        '[[scenario]]\nname = "a"\nrun = "true"\nrequires = ["https://lambda01.example:70000"]\n',
        f"{M}:4: scenario 'a' key 'requires': 'https://lambda01.example:70000': port 70000 does not exist;"
        " ports run from 1 to 65535",
    ),
    (
        '[[scenario]]\nname = "a"\nrun = "true"\nrequires = ["db:0"]\n',
        f"{M}:4: scenario 'a' key 'requires': 'db:0': port 0 does not exist; ports run from 1 to 65535",
    ),
    (
        '[[scenario]]\nname = "a"\nrun = "echo []"\n[scenario.expect]\njson = [{ path = "$", length = -1 }]\n',
        f"{M}:5: scenario 'a' key 'expect.json': expect.json[0]: 'length' is -1, and nothing has a negative length",
    ),
    (
        '[[scenario]]\nname = "a"\nrun = "true"\n[scenario.expect]\njson = [{ path = "$.at", equals = 2026-01-02 }]\n',
        f"{M}:5: scenario 'a' key 'expect.json': expect.json[0]: 'equals' holds a TOML date or time, which JSON"
        " does not have, so it can never be equal; quote it as a string (equals = \"2026-01-02T03:04:05Z\")",
    ),
    (
        '[[scenario]]\nname = "a"\nscript = "scenarios"\n',
        f"{M}:3: scenario 'a' key 'script': 'scenarios' is a folder, not a script; name the script file inside it",
    ),
    (
        '[[scenario]]\nname = "a"\nrun = "echo hi"\nstdout_contains = ["hi"]\n',
        f"{M}:4: scenario 'a' key 'stdout_contains': unknown key ('stdout_contains' belongs in [scenario.expect])",
    ),
    (
        '[[scenario]]\nname = "a"\nrun = "echo hi"\n[scenario.expect]\nstdout_contains = ["hi"]\ntimeout_seconds = 5\n',
        f"{M}:6: scenario 'a' key 'expect.timeout_seconds': unknown key ('timeout_seconds' belongs in a"
        " [[scenario]], above its [scenario.expect]: every key after a [scenario.expect] header belongs to it, so"
        " move 'timeout_seconds' above that header)",
    ),
    (
        '[settings]\njobs = 2\nstdout_contains = ["x"]\n',
        f"{M}:3: settings key 'stdout_contains': unknown key ('stdout_contains' belongs in [scenario.expect])",
    ),
    (
        '[[scenario]]\nname = "a"\nrun = "echo hi"\njobs = 4\n',
        f"{M}:4: scenario 'a' key 'jobs': unknown key ('jobs' belongs in [settings])",
    ),
    (
        'name = "a"\n\n[[scenario]]\nname = "b"\nrun = "true"\n',
        f"{M}:1: unknown top-level key 'name' ('name' belongs in a [[scenario]], above its [scenario.expect])",
    ),
    (
        '[[scenario]]\nname = "a"\nRun = "echo hi"\n',
        f"{M}:3: scenario 'a' key 'Run': unknown key (keys are lower case: write 'run')",
    ),
    (
        '[[scenario]]\nname = "a"\nrun = "echo hi"\n[scenario.expect]\nSTDOUT_CONTAINS = ["hi"]\n',
        f"{M}:5: scenario 'a' key 'expect.STDOUT_CONTAINS': unknown key (keys are lower case: write 'stdout_contains')",
    ),
    (
        '[settings]\nFail_On_Skip = true\n',
        f"{M}:2: settings key 'Fail_On_Skip': unknown key (keys are lower case: write 'fail_on_skip')",
    ),
    (
        '\ufeff[[scenario]]\nname = "a"\nrun = "echo hi"\n',
        f"{M}:1: the manifest starts with a UTF-8 byte order mark (BOM); save it as UTF-8 without a BOM"
        " (an editor's 'UTF-8', not 'UTF-8 with BOM')",
    ),
])
def test_what_can_never_pass_is_refused_with_file_line_key_and_fix(repo: Repo, manifest: str, problem: str) -> None:
    (repo.path / "tests/smoke/scenarios").mkdir(parents=True)
    path = repo.manifest("")
    path.write_bytes(manifest.encode("utf-8"))
    r = repo.smoke("check")
    assert r.returncode == 2
    assert problem + "\n" in r.stdout, r.stdout
    assert "Traceback" not in r.stdout + r.stderr
    ran = repo.smoke("run", "--all")
    assert ran.returncode == 2
    assert ran.stderr.startswith(f"smoke run: error: {problem}"), ran.stderr
    assert "scenario(s) from" not in ran.stdout  # nothing ran
    assert path.read_bytes() == manifest.encode("utf-8")


def test_an_empty_manifest_is_a_warning_and_refused_under_strict(repo: Repo) -> None:
    for text in ("", "# scenarios go here\n", "[settings]\njobs = 2\n"):
        repo.manifest(text)
        r = repo.smoke("check")
        assert r.returncode == 0
        assert r.stdout.startswith(
            f"{M}:1: warning: the manifest has no scenarios, so the gate guards nothing (add one: smoke add NAME"
            " --owner TASK --run CMD --record; smoke check --strict refuses this)\n"
        )
        r = repo.smoke("check", "--strict")
        assert r.returncode == 2
        assert r.stdout == (
            f"{M}:1: the manifest has no scenarios, so the gate guards nothing (add one: smoke add NAME --owner TASK"
            f" --run CMD --record)\nsmoke check: {M}: 1 error(s), 0 warning(s)\n"
        )


def test_valid_edges_still_load(repo: Repo) -> None:
    repo.manifest("""\
        [[scenario]]
        name = "edges"
        run = "echo '[]'; exit 255"
        requires = ["localhost:65535", "https://example.com:1/x", "cmd:bash", "https://example.com"]
        [scenario.expect]
        exit_code = [0, 255]
        json = [{ path = "$", length = 0 }, { path = "$", equals = [] }]
        """)
    r = repo.smoke("check", "--strict")
    assert r.returncode == 0, r.stdout


def test_a_workgraph_manifest_still_loads_unchanged(repo: Repo) -> None:
    repo.write("tests/smoke/scenarios/a.sh", "echo ok\n")
    repo.manifest("""\
        [[scenario]]
        name = "a"
        script = "scenarios/a.sh"
        owners = ["t1"]
        description = "workgraph style"
        timeout_seconds = 30
        """)
    assert repo.smoke("check").returncode == 0
    assert repo.smoke("run", "a").returncode == 0
