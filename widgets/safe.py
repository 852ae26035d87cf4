"""Text from AWS is data: shown literally, never as markup, never with control sequences."""

from __future__ import annotations

from rich.text import Text

from tui.common.text import clean as _strict_clean


def clean(value: object) -> str:
    """The printable part of ``value`` on one line: the one strict cleaner (escape sequences,
    controls, bidi overrides and zero-width characters removed), line breaks and tabs as spaces."""
    return _strict_clean(value)


def literal(value: object, style: str = "") -> Text:
    """A Rich Text that shows ``value`` exactly (no markup parsing), minus control sequences."""
    return Text(clean(value), style=style, no_wrap=False, end="")
