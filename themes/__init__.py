"""warroom's themes: a dark default and a high-contrast one, plus the app's stylesheet."""

from __future__ import annotations

from pathlib import Path

from textual.theme import Theme

STYLESHEET = Path(__file__).with_name("warroom.tcss")

DARK = Theme(
    name="warroom-dark",
    primary="#5FA8D3",
    secondary="#8F7FD1",
    accent="#F2A541",
    warning="#F2C14E",
    error="#F0544F",
    success="#5BBF6A",
    foreground="#D8DEE9",
    background="#11161C",
    surface="#18202A",
    panel="#22303D",
    dark=True,
    variables={
        "footer-key-foreground": "#F2A541",
        "block-cursor-background": "#2E4A62",
    },
)

HIGH_CONTRAST = Theme(
    name="warroom-high-contrast",
    primary="#00BFFF",
    secondary="#FFFFFF",
    accent="#FFFF00",
    warning="#FFFF00",
    error="#FF3030",
    success="#00FF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    dark=True,
    luminosity_spread=0.0,
    text_alpha=1.0,
    variables={
        "footer-key-foreground": "#FFFF00",
        "block-cursor-background": "#FFFFFF",
        "block-cursor-foreground": "#000000",
    },
)

THEMES: tuple[Theme, ...] = (DARK, HIGH_CONTRAST)
DEFAULT_THEME = DARK.name

__all__ = ["DARK", "DEFAULT_THEME", "HIGH_CONTRAST", "STYLESHEET", "THEMES"]
