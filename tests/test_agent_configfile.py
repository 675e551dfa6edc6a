"""smoke/agents/configfile.py: JSON spans, and text spliced in without touching a byte around it."""
from __future__ import annotations

import json

import pytest

from smoke.agents import configfile
from smoke.errors import SmokeError


def test_spans_point_at_each_value() -> None:
    text = '{ "a": [1, {"b": "x\\"y"}], "c" : true }'
    _, node = configfile.parse(text, "f.json")
    a = node.get("a")
    assert a is not None and text[a.start : a.end] == '[1, {"b": "x\\"y"}]'
    assert [text[i.start : i.end] for i in a.items] == ["1", '{"b": "x\\"y"}']
    c = node.get("c")
    assert c is not None and text[c.start : c.end] == "true"


def test_append_follows_the_file_s_indentation() -> None:
    text = '{\n\t"hooks": {\n\t\t"Stop": [\n\t\t\t{"x": 1}\n\t\t]\n\t}\n}\n'
    _, node = configfile.parse(text, "f.json")
    hooks = node.get("hooks")
    assert hooks is not None
    stop = hooks.get("Stop")
    assert stop is not None
    new = configfile.append_item(text, stop, {"y": [2]})
    assert new == '{\n\t"hooks": {\n\t\t"Stop": [\n\t\t\t{"x": 1},\n\t\t\t{\n\t\t\t\t"y": [\n\t\t\t\t\t2\n\t\t\t\t]\n\t\t\t}\n\t\t]\n\t}\n}\n'
    assert json.loads(new)["hooks"]["Stop"] == [{"x": 1}, {"y": [2]}]


def test_members_go_into_empty_and_full_objects() -> None:
    text = '{"a": {}}'
    _, node = configfile.parse(text, "f.json")
    a = node.get("a")
    assert a is not None
    new = configfile.add_member(text, a, "k", 1)
    assert json.loads(new) == {"a": {"k": 1}} and new.startswith('{"a": {')
    _, node = configfile.parse(new, "f.json")
    new2 = configfile.add_member(new, node, "z", [])
    assert json.loads(new2) == {"a": {"k": 1}, "z": []}
    assert new2.startswith(new[:-1])  # everything before the closing brace is kept


def test_crlf_files_stay_crlf() -> None:
    text = '{\r\n  "a": [\r\n    1\r\n  ]\r\n}\r\n'
    _, node = configfile.parse(text, "f.json")
    a = node.get("a")
    assert a is not None
    new = configfile.append_item(text, a, 2)
    assert "\n" not in new.replace("\r\n", "")


def test_invalid_json_names_file_line_and_column() -> None:
    with pytest.raises(SmokeError, match=r"^f\.json:2:8: not valid JSON"):
        configfile.parse('{\n  "a": ,\n}', "f.json")
