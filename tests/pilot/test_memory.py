"""A console left open through a shift holds steady: visiting panes does not pile up widgets."""

from __future__ import annotations

import gc
from typing import Any

from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from tests.helpers import sim_app, wait_for_data

# A footer that leaked kept a few hundred keys per hundred switches; 60 switches show it at a
# test's cost (bench/memory.py measures the 1,000 switches and the RSS).
SWITCHES = 60


def _detached_footer_keys() -> int:
    """Footer keys still in memory although no screen shows them any more."""
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, FooterKey) and not obj.is_attached)


def _live_footer_keys(pilot: Pilot[Any]) -> int:
    app = pilot.app
    return sum(len(screen.query(FooterKey)) for screen in app._screen_stacks.get(app.current_mode, []))


async def test_pane_switches_leave_no_footer_keys_behind(sim_url: str) -> None:
    app = sim_app(sim_url)
    keys = [spec.key for spec in app.panes if spec.key]  # the wall has no number key
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        # Every pane once, so each mode screen exists and has drawn its footer.
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        after_first_round = _detached_footer_keys()
        for n in range(SWITCHES):
            await pilot.press(keys[n % len(keys)])
            await pilot.pause()
        last = app.pane_by_key(keys[(SWITCHES - 1) % len(keys)])
        assert last is not None and app.current_mode == last.name
        assert _live_footer_keys(pilot) > 0
        after = _detached_footer_keys()
    # Each switch recomposes the footer of the pane shown; a key it drops must be freed. A few may
    # wait for the next recompose; hundreds of switches must not leave them by the hundred.
    assert after <= after_first_round + 2 * len(keys) * 12, (after_first_round, after)
