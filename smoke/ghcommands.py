"""GitHub Actions' workflow commands (`::error file=...::message`, collapsed groups), escaped as the runner reads them.

Below both the console report (smoke.report folds a scenario's output) and the
GitHub report (smoke.github's annotations and job summary).
"""
from __future__ import annotations

import secrets


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int) -> str:
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def fold(title: str, lines: list[str]) -> list[str]:
    """`lines` in a collapsed group, read by the runner as plain text."""
    token = secrets.token_hex(16)
    return [command("group", title), f"::stop-commands::{token}", *lines, f"::{token}::", "::endgroup::"]
