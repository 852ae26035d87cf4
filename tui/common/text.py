"""The one strict cleaner for text from AWS: what it returns is safe to draw on a terminal.

Removed: escape sequences (7-bit and 8-bit CSI, OSC, DCS/SOS/PM/APC and two-character escapes),
C0 and C1 control characters, DEL, and every format character (Unicode category Cf: soft hyphen,
zero-width characters U+200B-U+200F, bidi embeddings and overrides U+202A-U+202E, isolates
U+2066-U+2069, word joiner U+2060, BOM U+FEFF, tags), and lone surrogates. Markup characters stay as
they are: rendering text literally (never as markup) is the widgets' job.
"""

from __future__ import annotations

import re

# Escape sequences, 7-bit and 8-bit forms: OSC (ended by BEL or ST), DCS/SOS/PM/APC (ended by ST),
# CSI (parameters, intermediates, final byte), then any other ESC sequence (intermediates + final,
# which covers the two-character ones such as ESC c or ESC 7). An unterminated string sequence runs
# to the end of the text, as a terminal would swallow it.
_ESCAPES = re.compile(
    r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[\x20-/]*[@-~]?"
    r"|\x1b[\x20-/]*[0-~]?"
)

# Characters removed outright: C0 controls other than the whitespace ones, DEL, C1 controls other
# than NEL, every format character and lone surrogates (which cannot be encoded for the terminal).
_UNSAFE = re.compile(
    "["
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "\ud800-\udfff"
    "]"
)

_C1_INTRODUCERS = "\x90\x98\x9b\x9d\x9e\x9f"


def as_text(value: object) -> str:
    """``value`` as a string: None is "", a value whose str() fails is ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except Exception:  # a value whose str() fails has no text to show
        return ""


def strip_unsafe(text: str) -> str:
    """``text`` without escape sequences, controls (whitespace ones kept) and format characters."""
    if "\x1b" in text or any(ch in text for ch in _C1_INTRODUCERS):
        text = _ESCAPES.sub("", text)
    return _UNSAFE.sub("", text)


def clean(value: object, *, newlines: bool = False) -> str:
    """``value`` made safe to draw. With ``newlines`` false (the default) line breaks and tabs
    become single spaces, so the result is one line; with ``newlines`` true, line breaks survive as
    "\\n" (any line separator counts as one) and tabs become spaces. Other whitespace is kept."""
    text = as_text(value)
    if not text:
        return ""
    if text.isprintable():
        return text
    text = strip_unsafe(text)
    if newlines:
        return "\n".join(line.replace("\t", " ") for line in text.splitlines())
    return " ".join(part.replace("\t", " ") for part in text.splitlines())
