"""What is being pushed, as data: refs at one commit are tested once; the sides grow-only compares."""
from __future__ import annotations

from smoke import pushrange
from smoke.git import Change


def test_refs_pushed_at_the_same_commit_are_one_pushed_commit() -> None:
    a, b = "a" * 40, "b" * 40
    pushes = pushrange._by_commit([
        ("refs/heads/main", a, [Change("x.py", "committed")], b"[settings]\n"),
        ("refs/heads/feature", b, [Change("y.py", "committed")], None),
        ("refs/heads/release", a, [Change("z.py", "committed")], b"[settings]\n"),
    ])
    assert [p.sha for p in pushes] == [a, b]
    assert pushes[0].name() == "main, release"
    assert [c.path for c in pushes[0].changes] == ["x.py", "z.py"]
    assert [p.manifest for p in pushes] == [b"[settings]\n", None]


def test_a_side_says_what_it_compares() -> None:
    side = pushrange.Side("HEAD")
    assert (side.base, side.tip, side.label, side.explicit) == ("HEAD", None, None, False)
    pushed = pushrange.Side("a" * 40, "b" * 40, "refs/heads/main", explicit=True)
    assert pushed.tip == "b" * 40 and pushed.explicit
