"""The one TOML parser every reader of a manifest uses (the gate, `smoke check`,
the grow-only comparisons, the settings read at a door), so that no two doors
can disagree on what a manifest says.

It is `tomli`, the project the stdlib's tomllib was taken from: its wheels are
compiled, and importing and parsing with it costs a gate that must validate the
manifest afresh (an agent's) a quarter of what tomllib does. It reads TOML 1.0
exactly as tomllib (Python 3.11 to 3.14) does, with the same messages. tomli
2.4 and later read TOML 1.1 (newlines and trailing commas in inline tables,
\\x and \\e escapes, times without seconds): a manifest using them would be
valid here and refused by every smoke without tomli, so such a tomli is not
used: tomllib reads the manifest instead (pyproject.toml asks for tomli < 2.4;
this covers an environment that installed a newer one anyway). Without tomli
at all, tomllib reads it.

Import this module only where a manifest is parsed: importing it imports the parser.
"""
from __future__ import annotations

import sys

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any

# The first tomli that reads TOML 1.1.
TOML_1_1_TOMLI = (2, 4)


def _reads_toml_1_0_only(version: str) -> bool:
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError:
        return False  # a version we cannot read: not trusted to be the TOML 1.0 reader
    return (major, minor) < TOML_1_1_TOMLI


try:
    import tomli as _parser

    if not _reads_toml_1_0_only(getattr(_parser, "__version__", "")):
        raise ImportError("tomli reads TOML 1.1")
except ImportError:
    import tomllib as _parser  # type: ignore[no-redef]

# From Python 3.15 the stdlib's tomllib reads TOML 1.1 too: there only a tomli below 2.4 reads TOML 1.0.
TOML_1_1_TOMLLIB = (3, 15)
USABLE = _parser.__name__ != "tomllib" or sys.version_info[:2] < TOML_1_1_TOMLLIB

NAME: str = _parser.__name__
# Raised for a document that is not valid TOML: str() ends with "(at line L, column C)" or "(at end of document)".
TOMLDecodeError: type[ValueError] = _parser.TOMLDecodeError


def loads(text: str) -> dict[str, Any]:
    """Parse; raises TOMLDecodeError, or RecursionError for arrays and tables nested too deeply to read.

    With no TOML 1.0 reader here (tomllib of Python 3.15 or later, and no tomli below 2.4), SmokeError:
    nothing is read rather than a manifest every other smoke refuses."""
    if not USABLE:
        from smoke.errors import SmokeError

        raise SmokeError(
            "this Python's tomllib reads TOML 1.1, and smoke-gate reads manifests as TOML 1.0",
            hint="pip install 'tomli>=2.0.1,<2.4'",
        )
    return _parser.loads(text)
