"""The header and a pane's status line on an 80-column terminal, in a bare app (no simulator)."""

from __future__ import annotations

from datetime import timedelta

from textual.app import App, ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tests.frozen import FROZEN
from widgets.header import HeaderBar
from widgets.status import StatusLine

ALERT = "✖ BREACH Card payments 1:02:03 > 15:00 (+2)"
REPLAY = "REPLAY ▶ 03:00:00Z 2:59:59/3:00:00 300x"
REASON = (
    "ExpiredTokenException: the security token included in the request is expired; run "
    "`aws sso login --profile payments-prod` and the next poll picks the new credentials up"
)


class Bars(App[None]):
    def compose(self) -> ComposeResult:
        yield HeaderBar()
        yield StatusLine(clock=lambda: FROZEN)
        yield Static("body", id="body")


async def test_the_header_grows_a_line_for_the_timers_only_while_they_do_not_fit() -> None:
    app = Bars()
    async with app.run_test(size=(80, 24)) as pilot:
        header = app.query_one(HeaderBar)
        header.account, header.pane, header.demo, header.read_only = "123456789012", "Limits", True, True
        header.alert = ALERT
        await pilot.pause()
        assert header.size.height == 1
        header.replay = REPLAY
        await pilot.pause()
        assert header.size.height == 3
        assert app.query_one("#body").region.y == 4, "the pane moves down under the header"
        rendered = header.render().plain.split("\n")
        assert "acct 123456789012" in rendered[0] and rendered[0].rstrip().endswith("READ-ONLY")
        assert [line.strip() for line in rendered[1:]] == [ALERT, REPLAY]
        header.replay = ""
        await pilot.pause()
        assert header.size.height == 1


async def test_a_long_stale_reason_gives_way_to_the_age_and_the_retry() -> None:
    app = Bars()
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.query_one(StatusLine)
        status.fetched_at = FROZEN - timedelta(minutes=2)
        status.next_poll_at = FROZEN + timedelta(seconds=20)
        status.failures = 3
        status.problem = REASON
        await pilot.pause()
        line = status.render().plain
        assert line == "⚠ stale: ExpiredTokenException: the… · data 2m00s old · retry in 20s (failure 3)"
        assert len(line) == status.size.width == 80


async def test_a_poll_over_several_accounts_says_how_many_have_answered() -> None:
    app = Bars()
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.query_one(StatusLine)
        status.polling = True
        status.answered = (12, 40, "accounts")
        await pilot.pause()
        assert status.render().plain == "… loading 12 of 40 accounts"
        status.fetched_at = FROZEN - timedelta(seconds=30)
        await pilot.pause()
        assert status.render().plain == "● live · data 30s old · polling 12 of 40 accounts…"
        status.polling = False
        status.answered = None
        status.next_poll_at = FROZEN + timedelta(seconds=20)
        await pilot.pause()
        assert status.render().plain == "● live · data 30s old · next poll in 20s"


async def test_a_first_poll_past_its_interval_names_its_call_beside_the_progress_not_as_stale() -> None:
    app = Bars()
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.query_one(StatusLine)
        status.polling = True
        status.answered = (4, 10, "places")
        status.waiting = "cloudwatch GetMetricData has not answered for 41 s"
        await pilot.pause()
        line = status.render().plain
        assert line == "… loading 4 of 10 places · cloudwatch GetMetricData has not answered for 41 s"
        assert "stale" not in line
        status.waiting = "cloudwatch GetMetricData has not answered for 41 s, and words run on past the edge"
        await pilot.pause()
        assert status.render().plain.startswith("… loading 4 of 10 places · cloudwatch")
        assert len(status.render().plain) <= status.size.width == 80
        # A later poll reading a grown fleet's first hour: the age and the poll keep their place.
        status.answered = None
        status.fetched_at = FROZEN - timedelta(seconds=59)
        status.waiting = "cloudwatch GetMetricData has not answered for 41 s"
        await pilot.pause()
        line = status.render().plain
        assert line.startswith("● live · cloudwatch GetMetricData has not answered")
        assert line.endswith(" · data 59s old · polling…") and "stale" not in line


class _Pane(Screen[None]):
    def compose(self) -> ComposeResult:
        yield StatusLine(clock=lambda: FROZEN)


class _Dialog(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("a dialog")


class Panes(App[None]):
    """Two panes, one mode each, as the console keeps them."""

    MODES = {"one": _Pane, "two": _Pane}


async def test_a_status_line_ticks_only_while_its_pane_is_shown() -> None:
    """A pane left in the background does not repaint its age each second (it is repainted whole
    when shown again); under a dialog it still does."""
    app = Panes()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("one")
        first = app.screen.query_one(StatusLine)
        await app.switch_mode("two")
        second = app.screen.query_one(StatusLine)
        await pilot.pause()
        painted: list[StatusLine] = []
        for status in (first, second):
            status.refresh = lambda *_, s=status, **__: painted.append(s)  # type: ignore[method-assign]
        first._tick()
        second._tick()
        assert painted == [second]
        app.push_screen(_Dialog())
        await pilot.pause()
        second._tick()
        assert painted == [second, second]
