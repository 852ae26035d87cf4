"""The console's first frame, painted before Textual is imported.

Importing the console (Textual, the AWS SDK, the panes) takes about a second before Textual draws
anything; a terminal left blank that long looks hung. ``paint`` puts a frame on the alternate
screen at once, in the console's own place (its title bar on the top line, what it is doing in the
middle), and Textual draws over it when it starts. If the command ends before Textual starts,
``leave`` restores the terminal.

Plain escape sequences, no colour (NO_COLOR terminals, 80x24 over SSH): reverse video for the bar.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import TextIO

ENTER = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J"
"""The alternate screen, cursor hidden, cleared."""
LEAVE = "\x1b[?25h\x1b[?1049l"


def _stream() -> TextIO | None:
    # Textual draws on stderr: the frame goes where the console will be.
    return sys.__stderr__


def can_paint(stream: TextIO | None = None) -> bool:
    out = stream or _stream()
    if out is None or os.environ.get("TERM", "") == "dumb":
        return False
    try:
        return out.isatty()
    except (OSError, ValueError):
        return False


def frame(title: str, message: str, columns: int, rows: int) -> str:
    """The escape sequences of the frame, for a terminal of ``columns`` x ``rows``."""
    columns, rows = max(columns, 1), max(rows, 1)
    bar = f" {title}"[:columns].ljust(columns)
    text = message[:columns]
    row = max(2, (rows + 1) // 2)
    col = max(1, (columns - len(text)) // 2 + 1)
    return f"{ENTER}\x1b[7m{bar}\x1b[0m\x1b[{row};{col}H{text}"


def paint(title: str, message: str, stream: TextIO | None = None) -> bool:
    """Paint the first frame when the console runs on a terminal; returns whether it did."""
    out = stream or _stream()
    if out is None or not can_paint(out):
        return False
    size = shutil.get_terminal_size()
    try:
        out.write(frame(title, message, size.columns, size.lines))
        out.flush()
    except (OSError, ValueError):
        return False
    return True


def leave(stream: TextIO | None = None) -> None:
    """Back to the normal screen (the command ended before the console started)."""
    out = stream or _stream()
    if out is None:
        return
    try:
        out.write(LEAVE)
        out.flush()
    except (OSError, ValueError):
        pass
