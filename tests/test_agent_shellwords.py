"""smoke/agents/shellwords.py: a line read into simple commands the way a POSIX shell reads it."""
from __future__ import annotations

import pytest

from smoke.agents import shellwords


def _words(line: str) -> list[list[str | None]]:
    return [[w.value({}) for w in c.words] for c in shellwords.parse(line)]


def test_operators_split_commands_and_quotes_join_words() -> None:
    assert _words("a 'b c' \"d e\" && f;g|h & i || (j k)") == [
        ["a", "b c", "d e"], ["f"], ["g"], ["h"], ["i"], ["j", "k"],
    ]


def test_escapes_and_ansi_c_quotes() -> None:
    assert _words(r"echo a\ b \"q\" $'t\tx' $'\x41\101'") == [["echo", "a b", '"q"', "t\tx", "AA"]]


def test_substitutions_are_commands_too_and_their_word_is_unknown() -> None:
    assert _words("echo $(git push --no-verify) `git status`") == [
        ["echo", None, None], ["git", "push", "--no-verify"], ["git", "status"],
    ]


def test_here_document_bodies_are_data() -> None:
    line = "cat <<'EOF' > out.txt\ngit commit --no-verify\nEOF\necho after"
    commands = shellwords.parse(line)
    assert _words(line) == [["cat"], ["echo", "after"]]
    assert commands[0].heredocs == ["git commit --no-verify"]
    assert [(op, w.value({})) for op, w in commands[0].redirects] == [("<<", "EOF"), (">", "out.txt")]


def test_assignments_lead_a_command_and_variables_resolve_from_what_is_known() -> None:
    (c,) = shellwords.parse('SKIP=a,b X="$Y/z" git commit $FLAG')
    assert [(n, v.value({"Y": "/y"})) for n, v in c.assigns] == [("SKIP", "a,b"), ("X", "/y/z")]
    assert [w.value({"FLAG": "-n"}) for w in c.words] == ["git", "commit", "-n"]
    assert c.words[2].value({}) is None and c.words[2].literal() == "$FLAG"


def test_comments_and_line_continuations() -> None:
    assert _words("git commit \\\n  -m x  # --no-verify here is a comment") == [["git", "commit", "-m", "x"]]


def test_descriptor_redirections() -> None:
    (c,) = shellwords.parse("make 2>&1 >log &>all")
    assert [(op, w.value({})) for op, w in c.redirects] == [(">&", "1"), (">", "log"), ("&>", "all")]


@pytest.mark.parametrize("line", ["echo 'open", 'echo "open', "echo $(git status", "echo `x"])
def test_incomplete_lines_are_an_error(line: str) -> None:
    with pytest.raises(shellwords.ParseError):
        shellwords.parse(line)


def test_a_pipe_remembers_what_feeds_the_next_command() -> None:
    # red-team review: `echo ... | sh` must be judged by what is piped into the shell.
    first, second, third = shellwords.parse("echo hi | base64 -d |& sh; ls")[:3]
    assert second.piped_from is first and third.piped_from is second
    assert shellwords.parse("a; b")[1].piped_from is None


def test_process_substitution_is_a_word_whose_commands_are_read_too() -> None:
    # red-team review: `diff <(sort a) <(sort b)` is ordinary shell, and `source <(...)` runs what is inside.
    commands = shellwords.parse("diff <(sort a) >(cat)")
    assert _words("diff <(sort a) >(cat)") == [["diff", None, None], ["sort", "a"], ["cat"]]
    assert commands[0].words[1].parts[0][0] == "psub"
