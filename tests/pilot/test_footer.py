"""The panes' footer: composed again only when the keys it shows change."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from tui.screens.base import PaneFooter


class Pane(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "fix", "Fix"),
        Binding("p", "toggle_pause", "Pause"),
    ]

    def __init__(self, name: str) -> None:
        super().__init__(name=name)
        self.can_fix = True

    def compose(self) -> ComposeResult:
        yield Static(self.name or "")
        yield PaneFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fix" and not self.can_fix:
            return None  # shown, disabled
        return True

    def action_fix(self) -> None:
        pass

    def action_toggle_pause(self) -> None:
        pass


class Panes(App[None]):
    ENABLE_COMMAND_PALETTE = False
    MODES: ClassVar[dict[str, Any]] = {"one": lambda: Pane("one"), "two": lambda: Pane("two")}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('one')", "One", show=False),
        Binding("2", "switch_mode('two')", "Two", show=False),
    ]

    def on_mount(self) -> None:
        self.switch_mode("one")


def keys_of(app: App[None]) -> list[FooterKey]:
    return list(app.screen.query(FooterKey))


async def test_showing_a_pane_again_keeps_its_footer_keys() -> None:
    app = Panes()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        first = keys_of(app)
        assert [key.key for key in first] == ["x", "p"]
        for _ in range(3):
            await pilot.press("2")
            await pilot.pause()
            await pilot.press("1")
            await pilot.pause()
        assert keys_of(app) == first  # the same widgets, not new ones


async def test_a_key_that_changes_is_composed_again() -> None:
    app = Panes()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        pane = app.screen
        assert isinstance(pane, Pane)
        assert not keys_of(app)[0].has_class("-disabled")
        pane.can_fix = False
        pane.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        fix = keys_of(app)[0]
        assert fix.key == "x" and fix.has_class("-disabled")
