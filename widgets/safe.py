"""Text from AWS is data: shown literally, never as markup, never with control sequences."""

from __future__ import annotations

import re

from rich.text import Text

# ESC-introduced sequences (CSI, OSC, and two-character escapes), then any other C0/C1 control.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: object) -> str:
    """The printable part of ``value``: escape sequences removed, other controls shown as '?'."""
    text = _ESCAPES.sub("", str(value))
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return _CONTROLS.sub("?", text)


def literal(value: object, style: str = "") -> Text:
    """A Rich Text that shows ``value`` exactly (no markup parsing), minus control sequences."""
    return Text(clean(value), style=style, no_wrap=False, end="")
