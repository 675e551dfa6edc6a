"""Docs that work as written: every `smoke` command shown in README.md and
docs/ uses a command and options that exist, and the README's quick start
runs, in a fresh repository, as it says it does."""
from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from helpers import SMOKE
from helpers import Repo

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def _blocks(path: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(path.read_text())]


def _invocations(text: str) -> list[list[str]]:
    """Each `smoke ...` command line in a shell or YAML block, as words."""
    found = []
    joined = re.sub(r"\\\n\s*", " ", text)
    for raw in joined.splitlines():
        line = re.sub(r"\$\{\{[^}]*\}\}", "X", raw.strip())
        line = re.sub(r"^(?:\$ |- run: |run: |-\s+)", "", line)
        for part in re.split(r"\s(?:&&|\|\|)\s", line):
            part = part.strip()
            if not part.startswith("smoke "):
                continue
            try:
                words = shlex.split(part, comments=True)
            except ValueError:
                continue
            found.append(words)
    return found


def _options(command: str) -> set[str]:
    r = subprocess.run([SMOKE, command, "--help"], capture_output=True, text=True, env={"COLUMNS": "200"})
    assert r.returncode == 0, f"'smoke {command}' is documented but is not a command"
    return set(re.findall(r"(?<![\w-])(--?[\w-]+)", r.stdout.split("examples:")[0]))


def test_every_documented_smoke_command_uses_real_options() -> None:
    seen = 0
    cache: dict[str, set[str]] = {}
    for path in DOCS:
        for lang, text in _blocks(path):
            if lang not in ("", "sh", "bash", "console", "yaml"):
                continue
            for words in _invocations(text):
                if len(words) < 2 or words[1].startswith("-") or words[1].endswith(":") or "NAME" in words:
                    continue  # `smoke --help`, smoke's own output, or a synopsis with placeholders
                command = words[1]
                options = cache.setdefault(command, _options(command))
                for word in words[2:]:
                    flag = word.split("=", 1)[0]
                    if flag.startswith("-") and flag not in ("-", "--"):
                        assert flag in options, f"{path.name}: 'smoke {command}' has no {flag}: {' '.join(words)}"
                seen += 1
    assert seen >= 30  # the check looked at the docs, not at nothing


def test_readme_quick_start_runs_as_written(repo: Repo) -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.split("## Quick start in your repository", 1)[1]
    block = next(text for lang, text in _blocks_of(start) if "smoke init" in text)
    commands = _invocations(block)
    assert [words[1] for words in commands] == ["init", "install", "add", "gate"]
    results = [repo.smoke(*words[1:]) for words in commands]
    for words, r in zip(commands[:3], results[:3], strict=True):
        assert r.returncode == 0, f"{shlex.join(words)}: {r.stdout}{r.stderr}"
    # "it fails until the server answers": nothing listens on localhost:8080 here.
    gate = results[3]
    assert gate.returncode == 1
    assert "smoke gate refused task 'fix-login': 1 scenario(s) broken \u2014 login_redirect" in gate.stdout
    assert (repo.path / ".git/hooks/pre-commit").exists()


def _blocks_of(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def test_readme_recorded_scenario_is_what_record_writes(repo: Repo) -> None:
    """The README's recorded scenario, redone: same command, same expectation."""
    repo.write("bin/app", """\
        #!/usr/bin/env bash
        echo "app 1.4.2 started $(date -u +%Y-%m-%dT%H:%M:%SZ) (pid $$)"
        echo "config: $PWD/app.toml"
        echo "cache: $(mktemp -u)"
        echo "workers: 4, queue: empty"
        echo "ready in 0.$((RANDOM % 90 + 10))s"
        """, executable=True)
    repo.manifest("")
    readme = (ROOT / "README.md").read_text()
    shown = readme.split("$ smoke add app_status", 1)[1].split("```", 1)[0]
    words = shlex.split("smoke add app_status" + shown.splitlines()[0])
    r = repo.smoke(*words[1:])
    assert r.returncode == 0, r.stderr
    written = [ln for ln in r.stdout.splitlines() if ln.startswith("  | ")]
    documented = [ln.rstrip() for ln in shown.splitlines() if ln.startswith("  |")]
    assert [ln.rstrip() for ln in written] == documented
    assert repo.smoke("run", "app_status").returncode == 0
