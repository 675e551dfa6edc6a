"""action.yml: a valid composite action, and its steps' commands run here as
GitHub's runner would run them.

Checked against GitHub's documented metadata syntax
(https://docs.github.com/en/actions/sharing-automations/creating-actions/metadata-syntax-for-github-actions:
`name`, `description` and `runs` are required; each input has a
`description`; `runs.using: composite`; in a composite action every `run`
step needs `shell`) and its security hardening advice
(https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions:
an input goes through an environment variable, never pasted into a script).
A `run` step with `shell: bash` runs as `bash --noprofile --norc -eo pipefail
{0}`, with `GITHUB_ACTION_PATH` naming the action's folder
(https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/store-information-in-variables).
`uses:` steps (actions/setup-python) are GitHub's to run: the Python here stands in.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from helpers import Repo

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def test_action_yml_is_a_valid_composite_action() -> None:
    assert {"name", "description", "runs"} <= set(ACTION)
    assert set(ACTION["inputs"]) == {"args", "shard", "python-version"}
    for name, spec in ACTION["inputs"].items():
        assert set(spec) <= {"description", "required", "default", "deprecationMessage"}, name
        assert spec["description"].strip(), name
        assert isinstance(spec.get("default", ""), str), name
    runs = ACTION["runs"]
    assert runs["using"] == "composite"
    for step in runs["steps"]:
        assert ("uses" in step) != ("run" in step), step
        assert step.get("name"), step
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]
        else:
            assert step["shell"] == "bash"
            # No expression inside a script: inputs arrive as environment variables.
            assert not EXPRESSION.search(step["run"]), step["run"]
        for value in [*step.get("env", {}).values(), *step.get("with", {}).values()]:
            for expr in EXPRESSION.findall(str(value)):
                assert re.fullmatch(r"inputs\.([\w-]+)", expr) and expr.split(".", 1)[1] in ACTION["inputs"], expr
    setup = next(s for s in runs["steps"] if "uses" in s)
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"


@pytest.fixture(scope="module")
def action_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv standing in for the one actions/setup-python gives,
    beside the action's folder as the runner has it (a clean copy of this
    checkout: building in place would let two test workers collide in build/).

    smoke-gate's dependencies come from the test environment (a .pth file) so
    that installing does not need the network; smoke-gate itself is installed
    by the action's own install step.
    """
    base = tmp_path_factory.mktemp("action")
    shutil.copytree(ROOT, base / "smoke-gate", symlinks=True, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache", ".ruff_cache",
        ".hypothesis", "build", "dist", ".venv",
    ))
    venv = base / "python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def _run_steps(
    repo: Repo, python_bin: Path, inputs: dict[str, str], summary: Path,
) -> subprocess.CompletedProcess[str]:
    action_path = python_bin.parent.parent / "smoke-gate"
    """Every `run` step in order, as the runner would; stops at the first that
    fails. The install step runs once per virtualenv (as once per job)."""
    given = {name: inputs.get(name, spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    env = dict(repo.env)
    env.update({
        "PATH": f"{python_bin}{os.pathsep}{env['PATH']}",
        "GITHUB_ACTIONS": "true", "GITHUB_ACTION_PATH": str(action_path), "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(repo.path),
    })
    out = err = ""
    result = None
    for step in ACTION["runs"]["steps"]:
        if "run" not in step:
            continue
        if "pip install" in step["run"] and (python_bin / "smoke").exists():
            continue
        step_env = dict(env)
        for key, value in step.get("env", {}).items():
            step_env[key] = EXPRESSION.sub(lambda m: given[m.group(1).split(".", 1)[1]], str(value))
        script = repo.path.parent / "step.sh"
        script.write_text(step["run"])
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=repo.path, env=step_env, capture_output=True, text=True, timeout=300,
        )
        out, err = out + result.stdout, err + result.stderr
        if result.returncode != 0:
            break
    assert result is not None
    return subprocess.CompletedProcess(result.args, result.returncode, out, err)


MANIFEST = """\
[[scenario]]
name = "login_works"
run = "echo login ok"
[scenario.expect]
stdout_contains = ["login ok"]

[[scenario]]
name = "billing_broken"
run = "echo total=2"
[scenario.expect]
stdout_contains = ["total=3"]

[[scenario]]
name = "search_works"
run = "echo found 3"
[scenario.expect]
stdout_contains = ["found 3"]
"""


def test_the_actions_steps_install_smoke_gate_and_gate_the_repository(repo: Repo, action_python: Path) -> None:
    repo.manifest(MANIFEST)
    repo.commit("scenarios")
    summary = repo.path.parent / "summary.md"
    r = _run_steps(repo, action_python, {}, summary)
    assert r.returncode == 1, r.stderr
    assert "smoke run --all --fail-on-skip\n" in r.stdout
    # The install step put smoke-gate into the action's Python, from this checkout.
    installed = subprocess.run([action_python / "python", "-I", "-c", "import smoke; print(smoke.__file__)"],
                               capture_output=True, text=True, check=True).stdout
    assert installed.startswith(str(action_python.parent)), installed
    assert "::error file=tests/smoke/manifest.toml,line=11,title=billing_broken::FAIL: stdout lacks 'total=3'%0A" in r.stdout
    assert "| billing\\_broken | \u274c fail |" in summary.read_text()

    # Sharded as a matrix would: each shard runs its part, together all of them.
    ran = []
    for k in (1, 2, 3):
        # Each matrix job starts from a fresh clone: no results history to balance shards by.
        shutil.rmtree(repo.path / ".git" / "smoke", ignore_errors=True)
        r = _run_steps(repo, action_python, {"shard": f"{k}/3"}, summary)
        assert f"smoke run --all --fail-on-skip --shard {k}/3\n" in r.stdout
        names = re.findall(r"(?m)^(\w+)\.{3,}(?:PASS|FAIL)", r.stdout)
        assert len(names) == 1
        assert r.returncode == (1 if names == ["billing_broken"] else 0)
        ran += names
    assert sorted(ran) == ["billing_broken", "login_works", "search_works"]

    # Other arguments: any smoke command (from a fresh clone too: no passes to reuse).
    shutil.rmtree(repo.path / ".git" / "smoke", ignore_errors=True)
    r = _run_steps(repo, action_python, {"args": "run login_works search_works"}, summary)
    assert r.returncode == 0, r.stdout
    assert "smoke: 2 passed, 0 failed" in r.stdout
    r = _run_steps(repo, action_python, {"args": "check --strict"}, summary)
    assert r.returncode == 0 and "3 scenario(s) OK" in r.stdout


def test_an_input_cannot_inject_shell_code(repo: Repo, action_python: Path) -> None:
    repo.manifest(MANIFEST)
    marker = repo.path.parent / "pwned"
    r = _run_steps(repo, action_python, {"args": f"list $(touch {marker}) ; touch {marker}"}, repo.path.parent / "s.md")
    assert not marker.exists()
    assert r.returncode == 2  # smoke was handed the words as they are
