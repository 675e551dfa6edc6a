"""A shell command line read as a POSIX shell reads it: words, quotes, operators, redirections.

Only as much of the grammar as judging a command needs: the simple commands a
line runs (inside subshells, `$(...)` and backticks too), each with its
assignments, words and redirections. Quotes are removed the way the shell
removes them; an expansion stays a part of its word, to be resolved from the
assignments the line makes (`X=--no-verify; git commit $X`) or marked unknown.
Here-document bodies are data, never commands.

Not a shell: no aliases, functions or globbing; what `bypass` cannot resolve it
treats as unknown, never as harmless.
"""
from __future__ import annotations

OPERATORS = ("&&", "||", ";;", "|&", ";", "&", "|", "(", ")")
REDIRECTS = ("<<<", "<<-", "&>>", ">>", ">|", "&>", ">&", "<&", "<>", "<<", ">", "<")
_META = set(" \t\n;&|()<>")
_NAME_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME = _NAME_START | set("0123456789")
_SPECIAL_PARAMS = set("@*#?-$!0123456789")


class ParseError(ValueError):
    """The line is not complete shell (an unclosed quote or substitution)."""


class Word:
    """One word after quote removal, as parts: ("lit", text), ("var", name), ("sub", commands), ("dyn", raw).

    A process substitution, `<(...)` or `>(...)`, is a word of one part: ("psub", commands).
    """

    def __init__(self) -> None:
        self.parts: list[tuple[str, object]] = []
        self.quoted = False

    def add(self, kind: str, value: object) -> None:
        if kind == "lit" and self.parts and self.parts[-1][0] == "lit":
            self.parts[-1] = ("lit", str(self.parts[-1][1]) + str(value))
        else:
            self.parts.append((kind, value))

    def value(self, known: dict[str, str]) -> str | None:
        """The word's text, with the variables `known` holds expanded; None when any part cannot be known."""
        out = []
        for kind, v in self.parts:
            if kind == "lit":
                out.append(str(v))
            elif kind == "var" and str(v) in known:
                out.append(known[str(v)])
            else:
                return None
        return "".join(out)

    def literal(self) -> str:
        """The text with every expansion shown as written: for messages and for guessing at paths."""
        out = []
        for kind, v in self.parts:
            out.append(str(v) if kind in ("lit", "dyn") else f"${v}" if kind == "var" else "$(...)")
        return "".join(out)

    def substitutions(self) -> list[list[Command]]:
        return [v for kind, v in self.parts if kind in ("sub", "psub")]  # type: ignore[misc]


class Command:
    """A simple command: leading NAME=value assignments, its words, its redirections (operator, target)."""

    def __init__(self) -> None:
        self.assigns: list[tuple[str, Word]] = []
        self.words: list[Word] = []
        self.redirects: list[tuple[str, Word]] = []
        self.heredocs: list[str] = []  # bodies, kept as data
        self.piped_from: Command | None = None  # the command whose output `|` feeds this one's input

    def empty(self) -> bool:
        return not (self.assigns or self.words or self.redirects)


def parse(text: str) -> list[Command]:
    """Every simple command in `text`, in order; those in substitutions come right after the one using them."""
    parser = _Parser(text)
    commands = parser.commands(closing=None)
    return commands


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.pending: list[tuple[str, bool, Command]] = []  # here-documents waiting for the next newline

    # ------------------------------------------------------------ lists

    def commands(self, closing: str | None) -> list[Command]:
        """Read until the end (or an unmatched `closing` ")" of a substitution), flattening subshells."""
        found: list[Command] = []
        current = Command()
        depth = 0
        while True:
            self._blanks()
            if self.i >= len(self.s):
                if closing is not None:
                    raise ParseError("a $( without its )")
                break
            ch = self.s[self.i]
            if ch == "#":
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
                continue
            if ch == "\n":
                self.i += 1
                self._heredoc_bodies()
                current = self._end(found, current)
                continue
            op = self._operator()
            if op is not None:
                if op == ")":
                    if depth == 0 and closing == ")":
                        self._end(found, current)
                        return found
                    depth = max(0, depth - 1)
                elif op == "(":
                    depth += 1
                previous = current
                current = self._end(found, current)
                if op in ("|", "|&") and not previous.empty():
                    current.piped_from = previous
                continue
            psub = self._process_substitution()
            if psub is not None:
                current.words.append(psub)
                continue
            redirect = self._redirect()
            if redirect is not None:
                self._blanks()
                target = self._process_substitution() or self._word()
                if target is None:
                    raise ParseError(f"a {redirect} without a target")
                if redirect in ("<<", "<<-"):
                    delim = target.literal()
                    self.pending.append((delim, redirect == "<<-", current))
                current.redirects.append((redirect, target))
                continue
            word = self._word()
            if word is None:  # pragma: no cover - _word always consumes a character here
                self.i += 1
                continue
            assign = _assignment(word) if not current.words else None
            if assign is not None:
                current.assigns.append(assign)
            else:
                current.words.append(word)
        self._end(found, current)
        return found

    def _process_substitution(self) -> Word | None:
        """`<(...)` or `>(...)`: a word (a file name) whose contents come from commands."""
        if not self.s.startswith(("<(", ">("), self.i):
            return None
        self.i += 2
        inner = _Parser(self.s)
        inner.i = self.i
        word = Word()
        word.add("psub", inner.commands(closing=")"))
        self.i = inner.i
        return word

    def _end(self, found: list[Command], current: Command) -> Command:
        if not current.empty():
            found.append(current)
            words = [*current.words, *(a[1] for a in current.assigns), *(r[1] for r in current.redirects)]
            found.extend(c for w in words for sub in w.substitutions() for c in sub)
        return Command()

    # ------------------------------------------------------------ tokens

    def _blanks(self) -> None:
        s = self.s
        while self.i < len(s):
            if s[self.i] in " \t\r":
                self.i += 1
            elif s.startswith("\\\n", self.i):
                self.i += 2
            else:
                break

    def _operator(self) -> str | None:
        for op in OPERATORS:
            if self.s.startswith(op, self.i):
                # `>&` and `&>` are redirections, not `&`.
                if op == "&" and self.s.startswith(">", self.i + 1):
                    return None
                self.i += len(op)
                return op
        return None

    def _redirect(self) -> str | None:
        j = self.i
        while j < len(self.s) and self.s[j].isdigit():
            j += 1
        for op in REDIRECTS:
            if self.s.startswith(op, j):
                self.i = j + len(op)
                return op
        return None

    def _word(self) -> Word | None:
        s = self.s
        word = Word()
        start = self.i
        while self.i < len(s):
            ch = s[self.i]
            if ch in _META:
                break
            if ch == "\\":
                if self.i + 1 < len(s) and s[self.i + 1] == "\n":
                    self.i += 2
                    continue
                word.add("lit", s[self.i + 1 : self.i + 2])
                self.i += 2
            elif ch == "'":
                end = s.find("'", self.i + 1)
                if end < 0:
                    raise ParseError("an unclosed ' quote")
                word.add("lit", s[self.i + 1 : end])
                word.quoted = True
                self.i = end + 1
            elif ch == '"':
                self.i += 1
                self._double_quoted(word)
                word.quoted = True
            elif ch == "$":
                self._dollar(word, quoted=False)
            elif ch == "`":
                self._backtick(word)
            else:
                word.add("lit", ch)
                self.i += 1
        return word if self.i > start else None

    def _double_quoted(self, word: Word) -> None:
        s = self.s
        while True:
            if self.i >= len(s):
                raise ParseError('an unclosed " quote')
            ch = s[self.i]
            if ch == '"':
                self.i += 1
                if not word.parts:
                    word.add("lit", "")
                return
            if ch == "\\" and self.i + 1 < len(s) and s[self.i + 1] in '$`"\\\n':
                if s[self.i + 1] != "\n":
                    word.add("lit", s[self.i + 1])
                self.i += 2
            elif ch == "$":
                self._dollar(word, quoted=True)
            elif ch == "`":
                self._backtick(word)
            else:
                word.add("lit", ch)
                self.i += 1

    def _dollar(self, word: Word, *, quoted: bool) -> None:
        s = self.s
        nxt = s[self.i + 1 : self.i + 2]
        if s.startswith("$((", self.i):
            end = _matching(s, self.i + 3, "((", "))")
            word.add("dyn", s[self.i : end])
            self.i = end
        elif nxt == "(":
            self.i += 2
            inner = _Parser(s)
            inner.i = self.i
            commands = inner.commands(closing=")")
            self.i = inner.i
            word.add("sub", commands)
        elif nxt == "{":
            end = _matching(s, self.i + 2, "{", "}")
            body = s[self.i + 2 : end - 1]
            if body and body[0] in _NAME_START and all(c in _NAME for c in body):
                word.add("var", body)
            else:
                word.add("dyn", s[self.i : end])
            self.i = end
        elif nxt == "'" and not quoted:
            self.i += 2
            word.add("lit", self._ansi_c())
            word.quoted = True
        elif nxt and nxt in _NAME_START:
            j = self.i + 1
            while j < len(s) and s[j] in _NAME:
                j += 1
            word.add("var", s[self.i + 1 : j])
            self.i = j
        elif nxt and nxt in _SPECIAL_PARAMS:
            word.add("dyn", s[self.i : self.i + 2])
            self.i += 2
        else:
            word.add("lit", "$")
            self.i += 1

    def _ansi_c(self) -> str:
        """$'...': the escapes a shell decodes there."""
        s = self.s
        out: list[str] = []
        escapes = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "v": "\v",
                   "\\": "\\", "'": "'", '"': '"', "?": "?"}
        while True:
            if self.i >= len(s):
                raise ParseError("an unclosed $' quote")
            ch = s[self.i]
            if ch == "'":
                self.i += 1
                return "".join(out)
            if ch == "\\" and self.i + 1 < len(s):
                e = s[self.i + 1]
                if e in escapes:
                    out.append(escapes[e])
                    self.i += 2
                elif e == "x":
                    j = self.i + 2
                    while j < len(s) and j < self.i + 4 and s[j] in "0123456789abcdefABCDEF":
                        j += 1
                    out.append(chr(int(s[self.i + 2 : j] or "0", 16)))
                    self.i = j
                elif e in "01234567":
                    j = self.i + 1
                    while j < len(s) and j < self.i + 4 and s[j] in "01234567":
                        j += 1
                    out.append(chr(int(s[self.i + 1 : j], 8)))
                    self.i = j
                else:
                    out.append(ch + e)
                    self.i += 2
            else:
                out.append(ch)
                self.i += 1

    def _backtick(self, word: Word) -> None:
        s = self.s
        j = self.i + 1
        body = []
        while True:
            if j >= len(s):
                raise ParseError("an unclosed ` quote")
            if s[j] == "\\" and j + 1 < len(s) and s[j + 1] in "`\\$":
                body.append(s[j + 1])
                j += 2
            elif s[j] == "`":
                break
            else:
                body.append(s[j])
                j += 1
        self.i = j + 1
        word.add("sub", parse("".join(body)))

    def _heredoc_bodies(self) -> None:
        """After a newline: the bodies of the here-documents the line opened, up to each delimiter."""
        s = self.s
        for delim, strip_tabs, command in self.pending:
            lines = []
            while self.i < len(s):
                end = s.find("\n", self.i)
                line = s[self.i : end if end >= 0 else len(s)]
                self.i = end + 1 if end >= 0 else len(s)
                if (line.lstrip("\t") if strip_tabs else line) == delim:
                    break
                lines.append(line)
            command.heredocs.append("\n".join(lines))
        self.pending = []


def _matching(s: str, i: int, opening: str, closing: str) -> int:
    """The index just past the `closing` that balances an `opening` already consumed before `i`."""
    depth = 1
    while i < len(s):
        if s.startswith(closing, i):
            depth -= 1
            i += len(closing)
            if depth == 0:
                return i
            continue
        if s.startswith(opening, i):
            depth += 1
            i += len(opening)
            continue
        if s[i] == "\\":
            i += 1
        i += 1
    raise ParseError(f"an unclosed {opening}")


def _assignment(word: Word) -> tuple[str, Word] | None:
    """NAME=value as the first parts of a word, before any quote: the shell's assignment."""
    if not word.parts or word.parts[0][0] != "lit":
        return None
    head = str(word.parts[0][1])
    eq = head.find("=")
    if eq <= 0 or head[0] not in _NAME_START or not all(c in _NAME for c in head[:eq]):
        return None
    value = Word()
    value.quoted = word.quoted
    if head[eq + 1 :]:
        value.add("lit", head[eq + 1 :])
    for part in word.parts[1:]:
        value.add(*part)
    if not value.parts:
        value.add("lit", "")
    return head[:eq], value
