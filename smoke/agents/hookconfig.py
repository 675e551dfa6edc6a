"""`smoke install --agent HARNESS`: smoke-gate's hook entries merged into the harness's project configuration.

Each entry runs `smoke agent-hook HARNESS EVENT`, with the deadline the
harness's timeout leaves and a shell fallback after `||` that refuses in the
harness's terms when `smoke` itself cannot start (not on PATH, a broken
install): without it a missing command would be a non-blocking error, a pass.
"""
from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path

from smoke import files
from smoke.agents import configfile
from smoke.agents.harnesses import Harness
from smoke.errors import SmokeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_TRIES = 3


class Planned:
    """One harness's install: the file, its new text, the events added (none: already there), what the user must still do."""

    def __init__(self, h: Harness, path: Path, old: str | None, new: str, added: list[str], notes: list[str]) -> None:
        self.harness = h
        self.path = path
        self.old = old
        self.new = new
        self.added = added
        self.notes = notes

    def apply(self) -> None:
        if self.new != self.old:
            _write(self.path, self.new)


def smoke_command() -> tuple[str, str | None]:
    """How a hook names smoke-gate: `smoke` when that is this installation on PATH, else its full path (and why)."""
    mine = Path(sys.executable).parent / "smoke"
    found = shutil.which("smoke")
    if found and mine.exists() and Path(found).resolve() == mine.resolve():
        return "smoke", None
    if mine.exists():
        return shlex.quote(str(mine)), (
            f"the hooks run {mine} (this installation's smoke is not the one on PATH); "
            "commit them only if everyone has smoke-gate there, or edit the command to plain 'smoke'"
        )
    return "smoke", "'smoke' is not on PATH here: the hooks refuse every stop until it is"


def command(h: Harness, event: str, smoke: str, timeout: float | None = None, tries: int = DEFAULT_TRIES) -> str:
    if event in h.stop_events:
        return f"{smoke} agent-hook {h.name} {event} --deadline {h.deadline(timeout):g} --tries {tries} || {h.fallback_stop}"
    return f"{smoke} agent-hook {h.name} {event} || {h.fallback_pretool}"


def entries(h: Harness, smoke: str, stop_timeout: float | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(event, the element to add to hooks[event]) for every event smoke-gate hooks.

    `stop_timeout` (seconds) replaces the stop hook's default timeout; the hook answers before it.
    """
    found = []
    for event in h.events:
        stop = event in h.stop_events
        hook: dict[str, Any] = {"name": f"smoke-gate-{event}"} if h.named else {}
        if h.name != "cursor":
            hook["type"] = "command"
        hook[h.command_key] = command(h, event, smoke, stop_timeout)
        timeout = (stop_timeout or h.stop_timeout) if stop else h.pretool_timeout
        if h.timeout_key and timeout is not None:
            hook[h.timeout_key] = int(timeout * h.timeout_unit)
        if stop:
            hook.update(h.stop_extra)
        if h.grouped:
            group: dict[str, Any] = {}
            if not stop and h.shell_tool:
                group["matcher"] = h.shell_tool
            group["hooks"] = [hook]
            found.append((event, group))
        else:
            found.append((event, hook))
    return found


def merge(
    h: Harness, text: str | None, smoke: str, display: str, stop_timeout: float | None = None,
) -> tuple[str, list[str]]:
    """The configuration with smoke-gate's entries merged in, and the events that were added."""
    wanted = entries(h, smoke, stop_timeout)
    if text is None or not text.strip():
        doc: dict[str, Any] = dict(h.root)
        doc["hooks"] = {event: [entry] for event, entry in wanted}
        return configfile.render_file(doc), [e for e, _ in wanted]
    doc_any, node = configfile.parse(text, display)
    if not isinstance(doc_any, dict):
        raise SmokeError(f"{display}:1: the top level is not a JSON object", hint="fix the file by hand")
    for key, value in h.root.items():
        if key not in doc_any:
            text = configfile.add_member(text, node, key, value)
            doc_any, node = configfile.parse(text, display)
    hooks = doc_any.get("hooks")
    if hooks is None:
        text = configfile.add_member(text, node, "hooks", {event: [entry] for event, entry in wanted})
        return text, [e for e, _ in wanted]
    if not isinstance(hooks, dict):
        raise SmokeError(f"{display}:{_line(text, node.get('hooks'))}: \"hooks\" is not an object", hint="fix the file by hand")
    added = []
    for event, entry in wanted:
        doc_any, node = configfile.parse(text, display)
        hooks_node = node.get("hooks")
        assert hooks_node is not None
        current = doc_any["hooks"].get(event)
        marker = f"agent-hook {h.name} {event}"
        if current is None:
            text = configfile.add_member(text, hooks_node, event, [entry])
        elif not isinstance(current, list):
            raise SmokeError(f"{display}:{_line(text, hooks_node.get(event))}: \"hooks.{event}\" is not a list", hint="fix the file by hand")
        elif any(marker in json.dumps(item) for item in current):
            continue
        else:
            array = hooks_node.get(event)
            assert array is not None
            text = configfile.append_item(text, array, entry)
        added.append(event)
    return text, added


def plan(h: Harness, root: Path, stop_timeout: float | None = None) -> Planned:
    """`h`'s hooks merged into its configuration under `root`, not yet written; a second install changes nothing."""
    path = root / h.config
    display = h.config
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text: str | None = f.read()
    except FileNotFoundError:
        text = None
    except UnicodeDecodeError:
        raise SmokeError(f"{display}: not UTF-8 text", hint="fix the file by hand") from None
    except OSError as e:
        raise SmokeError(f"cannot read {display}: {e.strerror or e}") from None
    smoke, note = smoke_command()
    new, added = merge(h, text, smoke, display, stop_timeout)
    notes = [note] if note and added else []
    if added and h.after_install:
        notes.append(h.after_install)
    return Planned(h, path, text, new, added, notes)


def _write(path: Path, text: str) -> None:
    """Beside the file, then renamed over it: an interrupted install never leaves half a configuration."""
    path = path.resolve()  # a symlinked configuration stays a symlink; its target is updated
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        files.atomic_write(path, text, mode=None if path.exists() else 0o644)
    except OSError as e:
        raise SmokeError(f"cannot write {path}: {e.strerror or e}", hint="check the folder's permissions") from None


def _line(text: str, node: configfile.Node | None) -> int:
    return text.count("\n", 0, node.start) + 1 if node is not None else 1
