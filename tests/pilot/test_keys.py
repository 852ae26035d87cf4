"""Keys a config file moved, as a person presses them: the new key works, the old one is free, and
help and the footer show the keys in force."""

from __future__ import annotations

from pathlib import Path

from textual.widgets._footer import FooterKey

from tests.helpers import frozen_clock, settle, sim_settings
from tui.app import make_app
from tui.screens.help import HelpScreen
from tui.screens.overview import OverviewScreen
from tui.settings import GLOBAL_KEYS


async def test_remapped_keys_work_and_help_and_the_footer_show_them(sim_url: str, tmp_path: Path) -> None:
    remapped = {GLOBAL_KEYS: {"help": "f1"}, "overview": {"pause": "P"}}
    warning = "~/.config/warroom/config.toml line 3: theme: no theme 'x'"
    settings = sim_settings(sim_url, keys=remapped, journal_path=tmp_path / "j.jsonl", warnings=(warning,))
    app = make_app(settings, clock=frozen_clock)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, OverviewScreen))
        overview = app.screen
        assert isinstance(overview, OverviewScreen)
        # The refused file's problem is on screen, and the Activity pane keeps it.
        assert any(warning in n.message for n in app._notifications)
        assert any(e.pane == "config" and e.text == warning for e in app.activity)

        await settle(pilot, lambda: {"f1", "P"} <= {k.key for k in overview.query(FooterKey)}, what="footer")
        footer = {k.key for k in overview.query(FooterKey)}
        assert "question_mark" not in footer and "p" not in footer

        await pilot.press("p")  # the old key does nothing now
        await pilot.pause()
        assert not overview.paused
        await pilot.press("P")
        await settle(pilot, lambda: overview.paused, what="P pauses the overview")

        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert ("P", "Pause") in help_screen.pane_keys and ("p", "Pause") not in help_screen.pane_keys
        assert ("f1", "Help") in help_screen.global_keys and ("?", "Help") not in help_screen.global_keys
