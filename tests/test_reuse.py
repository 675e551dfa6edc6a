"""Reuse of passed results (smoke/reuse.py), through the real `smoke`: what is
reused, what always runs again, and that nothing an agent could write passes
an agent's gate. Each scenario counts its real runs in a folder outside the
repository, so a reuse is seen by the run that did not happen."""
from __future__ import annotations

import json
import time
from pathlib import Path

from helpers import Repo

COUNTED = 'echo run >> "$COUNT_DIR/$SMOKE_SCENARIO"; echo ok'


def _scenario(name: str, *, inputs: list[str] | None = None, run: str = COUNTED, extra: str = "") -> str:
    lines = [f'[[scenario]]\nname = "{name}"\nrun = \'{run}\'\nowners = ["t"]\n']
    if inputs is not None:
        lines.append(f"inputs = {json.dumps(inputs)}\n")
    lines.append(extra)
    lines.append('[scenario.expect]\nstdout_contains = ["ok"]\n\n')
    return "".join(lines)


class Counted:
    def __init__(self, repo: Repo, tmp: Path) -> None:
        self.repo = repo
        self.dir = tmp / "counts"
        self.dir.mkdir()

    def smoke(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, int], dict[str, bool], str]:
        """Run smoke; (exit code, real runs per scenario in this call, reused per scenario from JSON, stderr)."""
        before = self.counts()
        res = self.repo.smoke(*args, "--json", env={"COUNT_DIR": str(self.dir), **(env or {})})
        after = self.counts()
        ran = {n: after[n] - before.get(n, 0) for n in after if after[n] != before.get(n, 0)}
        doc = json.loads(res.stdout)
        return res.returncode, ran, {r["name"]: r["reused"] for r in doc["results"]}, res.stderr

    def counts(self) -> dict[str, int]:
        return {p.name: len(p.read_text().splitlines()) for p in self.dir.iterdir()}


def _setup(repo: Repo, tmp: Path, manifest: str, files: dict[str, str] | None = None) -> Counted:
    repo.manifest(manifest)
    for rel, text in (files or {}).items():
        repo.write(rel, text)
    repo.commit("scenarios")
    return Counted(repo, tmp)


def test_an_unchanged_tree_reuses_every_pass(repo: Repo, tmp_path: Path) -> None:
    c = _setup(repo, tmp_path, _scenario("one") + _scenario("two", inputs=["src/**"]), {"src/a.txt": "a\n"})
    code, ran, reused, _ = c.smoke("run", "--all")
    assert code == 0 and ran == {"one": 1, "two": 1} and reused == {"one": False, "two": False}
    code, ran, reused, err = c.smoke("run", "--all")
    assert code == 0 and ran == {} and reused == {"one": True, "two": True}
    assert "PASS (reused, " in err and "2 passed (2 reused)" in err
    # The gate reuses too: `git commit`, then `wg done` on the same tree.
    code, ran, reused, _ = c.smoke("gate", "--task", "t", "--stage", "done")
    assert code == 0 and ran == {} and reused == {"one": True, "two": True}


def test_changing_one_declared_input_reruns_exactly_the_scenarios_declaring_it(repo: Repo, tmp_path: Path) -> None:
    manifest = (
        _scenario("reads_a", inputs=["src/a/**"]) + _scenario("reads_a_and_b", inputs=["src/b/**", "src/a/x.txt"])
        + _scenario("reads_b", inputs=["src/b/**"]) + _scenario("reads_c", inputs=["src/c.txt"])
    )
    c = _setup(repo, tmp_path, manifest, {"src/a/x.txt": "1\n", "src/b/y.txt": "1\n", "src/c.txt": "1\n"})
    assert c.smoke("run", "--all")[1] == {"reads_a": 1, "reads_a_and_b": 1, "reads_b": 1, "reads_c": 1}
    repo.write("src/a/x.txt", "2\n")  # unstaged: the work tree counts, not the index
    code, ran, reused, _ = c.smoke("run", "--all")
    assert code == 0 and ran == {"reads_a": 1, "reads_a_and_b": 1}
    assert reused == {"reads_a": False, "reads_a_and_b": False, "reads_b": True, "reads_c": True}
    # A new untracked file under a glob is an input too; an unrelated one is not.
    repo.write("src/b/new.txt", "n\n")
    repo.write("elsewhere.txt", "n\n")
    assert c.smoke("run", "--all")[1] == {"reads_a_and_b": 1, "reads_b": 1}
    # Deleting a declared input reruns it.
    (repo.path / "src/c.txt").unlink()
    assert c.smoke("run", "--all")[1] == {"reads_c": 1}


def test_without_inputs_the_whole_tree_is_the_input_but_ignored_files_are_not(repo: Repo, tmp_path: Path) -> None:
    c = _setup(repo, tmp_path, _scenario("whole"), {".gitignore": "build/\n", "src/a.txt": "a\n"})
    assert c.smoke("run", "--all")[1] == {"whole": 1}
    repo.write("build/out.o", "ignored\n")
    assert c.smoke("run", "--all")[1] == {}
    repo.write("notes.txt", "untracked\n")
    assert c.smoke("run", "--all")[1] == {"whole": 1}
    repo.git("add", "notes.txt")  # staging the same content changes nothing that runs
    assert c.smoke("run", "--all")[1] == {}
    repo.write("src/a.txt", "b\n")
    assert c.smoke("run", "--all")[1] == {"whole": 1}


def test_script_helpers_and_definition_are_part_of_the_key(repo: Repo, tmp_path: Path) -> None:
    manifest = (
        '[[scenario]]\nname = "scripted"\nscript = "scenarios/s.sh"\ninputs = ["src/**"]\n'
        '[scenario.expect]\nstdout_contains = ["ok"]\n'
    )
    script = '. "$(dirname "$0")/helpers.sh"\necho run >> "$COUNT_DIR/$SMOKE_SCENARIO"\nsay_ok\n'
    files = {"tests/smoke/scenarios/s.sh": script, "tests/smoke/scenarios/helpers.sh": "say_ok() { echo ok; }\n"}
    c = _setup(repo, tmp_path, manifest, files)
    assert c.smoke("run", "--all")[1] == {"scripted": 1}
    assert c.smoke("run", "--all")[1] == {}
    repo.write("tests/smoke/scenarios/helpers.sh", "say_ok() { echo ok; echo again; }\n")
    assert c.smoke("run", "--all")[1] == {"scripted": 1}
    repo.write("tests/smoke/scenarios/s.sh", script + "# edited\n")
    assert c.smoke("run", "--all")[1] == {"scripted": 1}
    repo.manifest(manifest.replace("inputs =", "timeout_seconds = 50\ninputs ="))
    assert c.smoke("run", "--all")[1] == {"scripted": 1}
    assert c.smoke("run", "--all")[1] == {}


def test_a_failed_result_is_never_reused(repo: Repo, tmp_path: Path) -> None:
    # The outcome depends on $MODE, which is not an input: only a recorded pass could hide a failure.
    run = 'echo run >> "$COUNT_DIR/$SMOKE_SCENARIO"; test "$MODE" = ok && echo ok'
    # Fails every first attempt and passes its retry: always FLAKY, never a plain pass.
    flaky = 'echo run >> "$COUNT_DIR/$SMOKE_SCENARIO"; [ $(( $(wc -l < "$COUNT_DIR/$SMOKE_SCENARIO") % 2 )) = 0 ] && echo ok'
    c = _setup(repo, tmp_path, _scenario("moody", run=run) + _scenario("flaky", run=flaky, extra="retries = 1\n"))
    for _ in range(2):
        code, ran, reused, _ = c.smoke("run", "--all", env={"MODE": "bad"})
        assert code == 1 and ran == {"moody": 1, "flaky": 2}
        assert reused == {"moody": False, "flaky": False}
    assert c.smoke("run", "--all", env={"MODE": "ok"})[:2] == (0, {"moody": 1, "flaky": 2})
    code, ran, reused, _ = c.smoke("run", "--all", env={"MODE": "ok"})
    assert ran == {"flaky": 2} and reused == {"moody": True, "flaky": False}


def test_no_reuse_runs_everything(repo: Repo, tmp_path: Path) -> None:
    c = _setup(repo, tmp_path, _scenario("one") + _scenario("two", inputs=["README"]))
    assert c.smoke("run", "--all")[1] == {"one": 1, "two": 1}
    code, ran, reused, _ = c.smoke("run", "--all", "--no-reuse")
    assert code == 0 and ran == {"one": 1, "two": 1} and reused == {"one": False, "two": False}
    code, ran, reused, _ = c.smoke("gate", "--task", "t", "--no-reuse")
    assert code == 0 and ran == {"one": 1, "two": 1}


def test_what_is_never_reused(repo: Repo, tmp_path: Path, ) -> None:
    import socket

    # A live endpoint, so the scenario that needs it passes and could be remembered: it never is.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        manifest = (
            _scenario("endpoint", extra=f'requires = ["127.0.0.1:{port}"]\n')
            + _scenario("opted_out", extra="reuse = false\n")
            + _scenario("needs_a_command", extra='requires = ["cmd:bash"]\n')
        )
        c = _setup(repo, tmp_path, manifest)
        assert c.smoke("run", "--all")[1] == {"endpoint": 1, "opted_out": 1, "needs_a_command": 1}
        code, ran, reused, _ = c.smoke("run", "--all")
    assert code == 0
    assert ran == {"endpoint": 1, "opted_out": 1}
    assert reused == {"endpoint": False, "opted_out": False, "needs_a_command": True}


def test_records_go_stale_and_reuse_seconds_zero_turns_reuse_off(repo: Repo, tmp_path: Path) -> None:
    c = _setup(repo, tmp_path, _scenario("one"))
    assert c.smoke("run", "--all")[1] == {"one": 1}
    records = list((repo.path / ".git/smoke/reuse").iterdir())
    assert len(records) == 1
    doc = json.loads(records[0].read_text())
    records[0].write_text(json.dumps({**doc, "at": time.time() - 1801}))
    assert c.smoke("run", "--all")[1] == {"one": 1}
    repo.manifest("[settings]\nreuse_seconds = 0\n\n" + _scenario("one"))
    assert c.smoke("run", "--all")[1] == {"one": 1}
    assert c.smoke("run", "--all")[1] == {"one": 1}


def test_an_agents_gate_is_not_passed_by_a_reuse_record(repo: Repo, tmp_path: Path) -> None:
    run = 'echo run >> "$COUNT_DIR/$SMOKE_SCENARIO"; test "$MODE" = ok && echo ok'
    c = _setup(repo, tmp_path, _scenario("moody", run=run) + _scenario("steady"))
    # A genuine record for exactly these inputs, written by a human's passing run...
    assert c.smoke("gate", "--task", "t", "--stage", "done", env={"MODE": "ok"})[:2] == (0, {"moody": 1, "steady": 1})
    records = sorted((repo.path / ".git/smoke/reuse").iterdir())
    # ...and forged ones beside it, fresh and naming the scenario, under every name an agent might guess.
    for i, rec in enumerate(records):
        for name in ("moody", "steady"):
            (rec.parent / f"{rec.name[:-2]}{i:02d}{name[:1]}").write_text(json.dumps({"name": name, "at": time.time()}))
    for var in ("WG_AGENT_ID", "CLAUDECODE", "CODEX_THREAD_ID"):
        code, ran, reused, err = c.smoke("gate", "--task", "t", "--stage", "done", env={"MODE": "bad", var: "1"})
        assert code == 1, err
        assert ran == {"moody": 1, "steady": 1} and reused == {"moody": False, "steady": False}
        assert f"reuse is off for agents ({var} is set)" in err
    # A name the manifest's agent_env adds counts as well.
    repo.manifest('[settings]\nagent_env = ["MY_AGENT"]\n\n' + _scenario("moody", run=run) + _scenario("steady"))
    repo.commit("agent_env")
    code, ran, _, _ = c.smoke("gate", "--task", "t", "--stage", "done", env={"MODE": "bad", "MY_AGENT": "x"})
    assert code == 1 and ran == {"moody": 1, "steady": 1}
    # The same tree, for a human: the record is a speed-up.
    assert c.smoke("run", "--all", env={"MODE": "ok"})[1] == {"moody": 1, "steady": 1}
    assert c.smoke("run", "--all", env={"MODE": "bad"})[1] == {}


def test_new_keys_are_validated(repo: Repo) -> None:
    cases = [
        ('input = ["src/**"]', "key 'input': unknown key (did you mean 'inputs'?)"),
        ("inputs = [1]", "key 'inputs': must be an array of strings"),
        ("inputs = []", "key 'inputs': is empty"),
        ('inputs = ["src/[a"]', "key 'inputs': 'src/[a': unbalanced '['"),
        ('reuse = "no"', "key 'reuse': must be true or false"),
    ]
    for line, message in cases:
        repo.manifest(f'[[scenario]]\nname = "x"\nrun = "echo ok"\n{line}\n')
        res = repo.smoke("check")
        assert res.returncode == 2, (line, res.stderr)
        assert f"tests/smoke/manifest.toml:4: scenario 'x' {message}" in res.stdout, res.stdout
        assert "Traceback" not in res.stdout + res.stderr
    for line, message in [
        ("reuse_seconds = -1", "settings key 'reuse_seconds': must be a number of seconds >= 0"),
        ("reuse_second = 5", "settings key 'reuse_second': unknown key (did you mean 'reuse_seconds'?)"),
        ("keep_output_bytes = 10", "settings key 'keep_output_bytes': must be a whole number of bytes"),
    ]:
        repo.manifest(f'[settings]\n{line}\n\n[[scenario]]\nname = "x"\nrun = "echo ok"\n')
        res = repo.smoke("check")
        assert res.returncode == 2 and f"tests/smoke/manifest.toml:2: {message}" in res.stdout, res.stdout
