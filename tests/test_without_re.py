"""What the no-op gate decides without `re` (or `enum`) is what the regex (or the enum) decided:
each re-free path is compared here with the expression it replaces."""
from __future__ import annotations

import json
import re
from enum import IntEnum
from enum import StrEnum

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from smoke.agents import identity
from smoke.manifest import DEFAULT_TASK_BRANCH_PATTERN
from smoke.records import ExitCode
from smoke.records import Status
from smoke.selection import _glob_char
from smoke.tasks import default_branch_task

BRANCH_CHARS = st.sampled_from([*"wgtaskWG/", "s", "-", ".", "x", "\n", "\r", " ", "é", "\0"])


def _by_regex(branch: str) -> str | None:
    m = re.search(DEFAULT_TASK_BRANCH_PATTERN, branch)
    return m.group("task") if m and m.groupdict().get("task") else None


@settings(max_examples=2000, deadline=None)
@given(st.one_of(
    st.text(alphabet=BRANCH_CHARS, max_size=12),
    st.tuples(st.sampled_from(["wg", "task", "tasks", "tas", "wgx", "", "WG"]), st.sampled_from(["/", "//", "", "\n/"]),
              st.text(alphabet=BRANCH_CHARS, max_size=8)).map("".join),
))
def test_the_default_branch_pattern_reads_as_the_regex(branch: str) -> None:
    assert default_branch_task(branch) == _by_regex(branch)


def test_the_default_branch_pattern_examples() -> None:
    for branch in ("wg/t1", "task/t1", "tasks/t1", "wg/t1\n", "wg/", "wg/a/b", "main", "feature/wg/t1", "tasks//x"):
        assert default_branch_task(branch) == _by_regex(branch), branch


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"*?[\\]/a.!#", "\n"]), max_size=10))
def test_the_first_glob_character_is_where_the_regex_finds_it(text: str) -> None:
    m = re.search(r"[*?\[\\]", text)
    assert _glob_char(text) == (m.start() if m else -1)


AGENT_ENV = rb"""agent_env["']?\s*=\s*\[([^\]]*)\]"""
NAME = rb"""["']([^"'\s]+)["']"""


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from([
    b"agent_env", b"agent_en", b'"agent_env"', b" = ", b"=", b"[", b"]", b'"MY_AGENT"', b"'X'", b", ", b"\n", b"#",
    b"[[scenario]]", b"agent_env_x",
]), max_size=12).map(b"".join))
def test_agent_names_are_read_as_the_regex_reads_them(data: bytes) -> None:
    names = list(identity.DEFAULT_AGENT_ENV)
    for listed in re.findall(AGENT_ENV, data):
        names.extend(n.decode("utf-8", "replace") for n in re.findall(NAME, listed))
    assert identity.named_in(data) == list(dict.fromkeys(names))


class _OldStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    TIMEOUT = "timeout"
    ERROR = "error"
    FLAKY = "flaky"


class _OldExitCode(IntEnum):
    OK = 0
    REFUSED = 1
    USAGE = 2
    INTERRUPTED = 130


def test_statuses_and_exit_codes_read_as_the_enums_did() -> None:
    assert [(s, str(s), f"{s}", json.dumps(s)) for s in Status.ALL] == [
        (o.value, str(o), f"{o}", json.dumps(o)) for o in _OldStatus
    ]
    assert all(isinstance(s, Status) and isinstance(s, str) for s in Status.ALL)
    assert [getattr(Status, o.name) for o in _OldStatus] == list(_OldStatus)
    for o in _OldExitCode:
        new = getattr(ExitCode, o.name)
        assert isinstance(new, ExitCode) and (int(new), str(new), f"{new}", json.dumps(new)) == (
            int(o), str(o), f"{o}", json.dumps(o)
        )
    assert max(ExitCode.OK, ExitCode.REFUSED) == ExitCode.REFUSED
