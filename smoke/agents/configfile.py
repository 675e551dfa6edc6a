"""Merging hook entries into a harness's JSON configuration, leaving every other byte as it was.

The file is parsed twice: by `json` (the judge of validity, whose errors give
the line) and by a small scanner that records where each value starts and
ends. New entries are spliced in as text, indented like their neighbours; the
user's keys, order, spacing and comments-free formatting stay untouched. An
entry already there (its command names `smoke agent-hook HARNESS EVENT`) is
left alone, so a second run changes nothing.
"""
from __future__ import annotations

import json

from smoke.errors import SmokeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class Node:
    """A JSON value's span in the text; objects keep their members' key and value nodes, arrays their items."""

    def __init__(self, kind: str, start: int) -> None:
        self.kind = kind  # "object", "array", "scalar"
        self.start = start
        self.end = start
        self.members: list[tuple[str, Node]] = []
        self.items: list[Node] = []

    def get(self, key: str) -> Node | None:
        found = None
        for k, v in self.members:
            if k == key:
                found = v  # the last one wins, as in json.loads
        return found


def parse(text: str, display: str) -> tuple[Any, Node]:
    """(the parsed document, its span tree); a file that is not JSON is a SmokeError naming file:line."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise SmokeError(
            f"{display}:{e.lineno}:{e.colno}: not valid JSON ({e.msg})",
            hint="fix the file by hand; smoke install never rewrites a file it cannot read",
        ) from None
    scanner = _Scanner(text)
    node = scanner.value()
    return doc, node


class _Scanner:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n\ufeff":
            self.i += 1

    def value(self) -> Node:
        self.ws()
        ch = self.s[self.i]
        if ch == "{":
            node = Node("object", self.i)
            self.i += 1
            self.ws()
            if self.s[self.i] == "}":
                self.i += 1
            else:
                while True:
                    self.ws()
                    key = self.string()
                    self.ws()
                    self.i += 1  # ':'
                    node.members.append((key, self.value()))
                    self.ws()
                    if self.s[self.i] == ",":
                        self.i += 1
                        continue
                    self.i += 1  # '}'
                    break
        elif ch == "[":
            node = Node("array", self.i)
            self.i += 1
            self.ws()
            if self.s[self.i] == "]":
                self.i += 1
            else:
                while True:
                    node.items.append(self.value())
                    self.ws()
                    if self.s[self.i] == ",":
                        self.i += 1
                        continue
                    self.i += 1  # ']'
                    break
        else:
            node = Node("scalar", self.i)
            if ch == '"':
                self.string()
            else:
                while self.i < len(self.s) and self.s[self.i] not in ",]} \t\r\n":
                    self.i += 1
        node.end = self.i
        return node

    def string(self) -> str:
        start = self.i
        self.i += 1
        while self.s[self.i] != '"':
            self.i += 2 if self.s[self.i] == "\\" else 1
        self.i += 1
        value: str = json.loads(self.s[start : self.i])
        return value


# ---------------------------------------------------------------- splicing


def append_item(text: str, array: Node, item: Any) -> str:
    """`text` with `item` added as the last element of `array`."""
    return _splice(text, array, array.items[-1] if array.items else None, lambda indent, step, nl: _render(item, indent, step, nl))


def add_member(text: str, obj: Node, key: str, value: Any) -> str:
    """`text` with `"key": value` added as the last member of `obj`."""
    last = obj.members[-1][1] if obj.members else None
    return _splice(text, obj, last, lambda indent, step, nl: json.dumps(key) + ": " + _render(value, indent, step, nl))


def render_file(doc: Any) -> str:
    return json.dumps(doc, indent=2) + "\n"


def _splice(text: str, container: Node, last: Node | None, render: Callable[[str, str, str], str]) -> str:
    nl = "\r\n" if "\r\n" in text else "\n"
    indent, step = _layout(text, container)
    rendered = render(indent + step, step, nl)
    if last is None:
        close = container.end - 1
        return text[: container.start + 1] + nl + indent + step + rendered + nl + indent + text[close:]
    return text[: last.end] + "," + nl + indent + step + rendered + text[last.end :]


def _render(value: Any, indent: str, step: str, nl: str) -> str:
    return json.dumps(value, indent=step).replace("\n", nl + indent)


def _layout(text: str, node: Node) -> tuple[str, str]:
    """(the indentation of the line `node` opens on, the file's indentation step)."""
    line_start = text.rfind("\n", 0, node.start) + 1
    indent = ""
    for ch in text[line_start:node.start]:
        if ch in " \t":
            indent += ch
        else:
            break
    return indent, _step(text)


def _step(text: str) -> str:
    """The smallest indentation the file uses, two spaces when it has none."""
    best = None
    for line in text.splitlines():
        stripped = line.lstrip(" \t")
        lead = line[: len(line) - len(stripped)]
        if lead and stripped and (best is None or len(lead) < len(best)):
            best = lead
    return best or "  "
