"""smoke.files.atomic_write: the one way smoke-gate replaces a file."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from smoke.files import atomic_write


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_replaces_the_content_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "manifest.toml"
    target.write_text("old\n")
    target.chmod(0o640)
    atomic_write(target, "new\n")
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o7777 == 0o640
    assert _leftovers(tmp_path) == []


def test_a_new_file_gets_the_umask_mode_unless_told(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "plain", b"x", durable=False)
        atomic_write(tmp_path / "hook", "#!/bin/sh\n", mode=0o755)
    finally:
        os.umask(old)
    assert (tmp_path / "plain").stat().st_mode & 0o7777 == 0o644
    assert (tmp_path / "hook").stat().st_mode & 0o7777 == 0o755
    assert (tmp_path / "plain").read_bytes() == b"x"


def test_a_symlink_is_replaced_unless_its_target_is_given(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_text("real\n")
    link = tmp_path / "link"
    link.symlink_to(real)
    atomic_write(link.resolve(), "through\n")
    assert link.is_symlink() and real.read_text() == "through\n"
    atomic_write(link, "own\n")
    assert not link.is_symlink() and link.read_text() == "own\n"
    assert real.read_text() == "through\n"


def test_a_failed_rename_leaves_the_old_content_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "inside").write_text("kept\n")
    with pytest.raises(OSError):
        atomic_write(target, "never\n")
    assert (target / "inside").read_text() == "kept\n"
    assert _leftovers(tmp_path) == []
