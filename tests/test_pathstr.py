"""smoke.pathstr spells every path as pathlib does (the no-op gate works on these strings, without pathlib)."""
from __future__ import annotations

import os
from pathlib import Path
from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from smoke import pathstr

PATHS = st.lists(st.sampled_from(["/", "//", "///", ".", "..", "a", "b", "a.b", " ", "é", "x/", "./"]), max_size=7).map("".join)


@settings(max_examples=3000, deadline=None)
@given(PATHS, PATHS)
def test_strings_are_spelled_as_pathlib_spells_them(text: str, other: str) -> None:
    p = PurePosixPath(text)
    assert pathstr.norm(text) == str(p)
    assert pathstr.norm(p) == str(p)
    assert pathstr.parent(text) == str(p.parent)
    assert pathstr.name(text) == p.name
    assert pathstr.join(text, other) == str(p / other)
    assert pathstr.join(text, other, text) == str(p / other / text)
    assert pathstr.absolute(text) == str(Path(text).absolute())
    try:
        expected: str | None = str(p.relative_to(other))
    except ValueError:
        expected = None
    assert pathstr.relative_to(text, other) == expected


def test_file_checks_answer_as_pathlib_does(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    (tmp_path / "d").mkdir()
    (tmp_path / "link").symlink_to("f")
    (tmp_path / "dangling").symlink_to("nowhere")
    (tmp_path / "loop").symlink_to("loop")
    names = ["f", "d", "link", "dangling", "loop", "missing", "f/under", "a\0b"]
    for name in names:
        p = tmp_path / name if "\0" not in name else Path(str(tmp_path) + "/" + name)
        assert (pathstr.is_file(str(p)), pathstr.is_dir(str(p)), pathstr.is_symlink(str(p))) == (
            p.is_file(), p.is_dir(), p.is_symlink()
        ), name


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_a_folder_it_may_not_search_raises_as_pathlib_does(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "f").write_text("x")
    locked.chmod(0)
    try:
        for check in ("is_file", "is_dir", "is_symlink"):
            with pytest.raises(PermissionError):
                getattr(locked / "f", check)()
            with pytest.raises(PermissionError):
                getattr(pathstr, check)(str(locked / "f"))
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("cwd", ["/", "/tmp"])
def test_absolute_paths_from_the_top_folder(cwd: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(cwd)
    for text in ("a", "..", "", ".", "x/../y", "/abs", "//two"):
        assert pathstr.absolute(text) == str(Path(text).absolute()), text
