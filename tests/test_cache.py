"""The validated-manifest cache: used when the bytes match, never trusted beyond them."""
from __future__ import annotations

import json
import marshal
import os
import sys

from helpers import Repo

from smoke import cache
from smoke import manifest as manifest_mod
from smoke.manifest import Scenario

MANIFEST = """
[[scenario]]
name = "hello"
run = "echo hello"
owners = ["t"]
[scenario.expect]
stdout_contains = ["hello"]

[[scenario]]
name = "scripted"
script = "scenarios/s.sh"
owners = ["t"]
[scenario.expect]
stdout_contains = ["scripted"]
"""


def _cache(repo: Repo) -> os.PathLike[str]:
    return repo.path / f".git/smoke/manifest-cache.py{sys.version_info[0]}{sys.version_info[1]}.marshal"


def _load(repo: Repo) -> dict:  # type: ignore[type-arg]
    return marshal.loads(open(_cache(repo), "rb").read())  # type: ignore[no-any-return]


def _save(repo: Repo, doc: dict) -> None:  # type: ignore[type-arg]
    open(_cache(repo), "wb").write(marshal.dumps(doc))


def _statuses(repo: Repo, *args: str) -> dict[str, str]:
    res = repo.smoke("run", "--all", "--json", *args)
    return {r["name"]: r["status"] for r in json.loads(res.stdout)["results"]}


def test_a_gate_writes_the_cache_and_a_hit_skips_parsing(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/s.sh", "echo scripted\n")
    assert repo.smoke("gate", "--task", "t").returncode == 0
    doc = _load(repo)
    assert [Scenario._make(row).name for row in doc["scenarios"]] == ["hello", "scripted"]
    # Prove the next run takes the cached, validated form (not a fresh parse)
    # by changing it behind the manifest's back.
    doc["scenarios"][0] = tuple(Scenario._make(doc["scenarios"][0])._replace(run="echo from-cache"))
    _save(repo, doc)
    assert _statuses(repo) == {"hello": "fail", "scripted": "pass"}


def test_any_edit_to_the_manifest_misses_the_cache(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/s.sh", "echo scripted\n")
    assert _statuses(repo) == {"hello": "pass", "scripted": "pass"}
    repo.manifest(MANIFEST.replace("owners = [\"t\"]\n[scenario.expect]\nstdout_contains = [\"hello\"]", "owner = [\"t\"]"))
    res = repo.smoke("gate", "--task", "t")
    assert res.returncode == 2
    assert "key 'owner': unknown key (did you mean 'owners'?)" in res.stderr


def test_scripts_are_checked_again_on_every_hit(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/s.sh", "echo scripted\n")
    assert _statuses(repo) == {"hello": "pass", "scripted": "pass"}
    (repo.path / "tests/smoke/scenarios/s.sh").unlink()
    res = repo.smoke("run", "--all", "--json")
    by = {r["name"]: r for r in json.loads(res.stdout)["results"]}
    assert by["scripted"]["status"] == "error"
    assert by["scripted"]["reason"].startswith("scenario 'scripted' key 'script': scenarios/s.sh does not exist")
    # A script replaced by a link out of the repository is refused, cache or not.
    outside = repo.path.parent / "outside.sh"
    outside.write_text("echo scripted\n")
    os.symlink(outside, repo.path / "tests/smoke/scenarios/s.sh")
    res = repo.smoke("run", "--all")
    assert res.returncode == 2
    assert "leaves the repository" in res.stderr


def test_a_damaged_cache_is_ignored(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/s.sh", "echo scripted\n")
    assert _statuses(repo) == {"hello": "pass", "scripted": "pass"}
    open(_cache(repo), "wb").write(b"\x00not marshal")
    assert _statuses(repo) == {"hello": "pass", "scripted": "pass"}
    doc = _load(repo)
    doc["scenarios"][0] = (*doc["scenarios"][0], "a field no record has")
    _save(repo, doc)
    assert _statuses(repo) == {"hello": "pass", "scripted": "pass"}


def test_values_the_cache_cannot_hold_are_not_cached(repo: Repo) -> None:
    repo.manifest("""
        [[scenario]]
        name = "dated"
        run = 'echo {"day": "1979-05-27"}'
        [scenario.expect]
        json = [{ path = "$.day", equals = 1979-05-27 }]
    """)
    res = repo.smoke("run", "--all", "--json")
    # A TOML date can never equal a JSON value: refused before anything runs (or is cached).
    assert res.returncode == 2
    assert "'equals' holds a TOML date or time" in res.stderr
    assert not os.path.exists(_cache(repo))


def test_a_cached_manifest_is_the_one_validated(repo: Repo) -> None:
    """Every field, with the types a fresh validation gives them, comes back from the cache as it was."""
    repo.manifest("""
        [settings]
        jobs = 3
        base_ref = "trunk"
        unguarded = "block"

        [[scenario]]
        name = "full"
        script = "scenarios/s.sh"
        owners = ["t", "u"]
        paths = ["src/**", "!src/docs/**"]
        description = "every field"
        timeout_seconds = 12.5
        requires = ["cmd:sh"]
        tags = ["live"]
        env = { A = "1", B = "two" }
        retries = 1
        exclusive = ["db"]
        inputs = ["src/**"]
        reuse = false
        [scenario.expect]
        exit_code = 0
        stdout_contains = ["scripted"]
        json = [{ path = "$.a", equals = [1, 2] }]
    """)
    repo.write("tests/smoke/scenarios/s.sh", "echo scripted\n")
    path = repo.path / manifest_mod.DEFAULT_REL_PATH
    data = path.read_bytes()
    fresh = manifest_mod.load_path(path, repo.path, data)
    cache.write(fresh, data)
    cached = cache.read(path, repo.path, data)
    assert cached is not None
    assert cached.settings == fresh.settings
    assert cached.scenarios == fresh.scenarios
    assert [[type(v) for v in s] for s in cached.scenarios] == [[type(v) for v in s] for s in fresh.scenarios]
