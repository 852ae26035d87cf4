"""The shell driven with keys, as a user would, against the simulator."""

from __future__ import annotations

import os
from typing import Any

import pytest
from botocore.exceptions import ClientError
from textual import events
from textual.widgets import Input

from tests.helpers import frozen_clock, sim_app, sim_settings, wait_for_data
from tui.app import make_app
from tui.aws.clients import AwsTarget, ClientFactory
from tui.screens.activity import ActivityScreen
from tui.screens.help import HelpScreen
from tui.screens.jump import JumpScreen
from tui.screens.overview import OverviewScreen
from tui.settings import Settings
from widgets.card import Card
from widgets.header import HeaderBar
from widgets.status import StatusLine


async def test_header_shows_account_and_demo_badge(sim_url: str) -> None:
    app = sim_app(sim_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        header = app.screen.query_one(HeaderBar)
        assert header.account == "123456789012"
        assert header.demo and not header.read_only
        rendered = header.render().plain
        assert "123456789012" in rendered and "DEMO" in rendered and "READ-ONLY" not in rendered


async def test_header_shows_the_profile_named_by_aws_profile(
    sim_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile oncall-prod]\nregion = us-east-1\n"
        "aws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_PROFILE", "oncall-prod")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # no --profile and no keys: the credentials, and the profile named, come from the environment
    target = AwsTarget(regions=("us-east-1",), endpoint_url=sim_url)
    app = make_app(Settings(target=target, demo=True), clock=frozen_clock)
    assert app.settings.target.profile is None
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        header = app.screen.query_one(HeaderBar)
        assert header.profile == "oncall-prod"
        rendered = header.render().plain
        assert "profile oncall-prod" in rendered and "profile default" not in rendered


async def test_header_shows_default_without_a_profile(sim_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "not-in-use")  # explicit keys win over it, as in the AWS CLI
    app = sim_app(sim_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        assert "profile default" in app.screen.query_one(HeaderBar).render().plain


async def test_header_never_draws_bidi_overrides_or_zero_width_characters(sim_url: str) -> None:
    app = sim_app(sim_url)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for_data(pilot)
        header = app.screen.query_one(HeaderBar)
        # Read at once: the console's one-second tick sets the header's alert from the services.
        header.alert = "payments\u202e-prod\u200b impaired"
        header.regions = ("us-east-1\u2066\ufeff",)
        rendered = header.render().plain
        assert "payments-prod impaired" in rendered and "region us-east-1" in rendered
        for hidden in ("\u202e", "\u200b", "\u2066", "\ufeff"):
            assert hidden not in rendered


async def test_read_only_badge(sim_url: str) -> None:
    app = sim_app(sim_url, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        assert "READ-ONLY" in app.screen.query_one(HeaderBar).render().plain


async def test_overview_cards_show_the_fleet(sim_url: str) -> None:
    app = sim_app(sim_url)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(pilot)
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        ec2 = dict(screen.query_one("#card-us-east-1-ec2", Card).rows)
        assert int(ec2["running"]) >= 7
        assert "/640 " in ec2["std vCPU"]
        identity = dict(screen.query_one("#identity", Card).rows)
        assert identity["account"] == "123456789012"
        sessions = dict(screen.query_one("#card-us-east-1-sessions", Card).rows)
        assert sessions["hybrid (mi-)"] == "2"
        findings = dict(screen.query_one("#card-us-east-1-findings", Card).rows)
        assert int(findings["total"]) > 0
        assert screen.query_one(StatusLine).problem == ""


async def test_help_lists_pane_and_global_keys_and_closes(sim_url: str) -> None:
    app = sim_app(sim_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        pane_keys = dict(help_screen.pane_keys)
        global_keys = dict(help_screen.global_keys)
        assert pane_keys["p"] == "Pause" and pane_keys["r"] == "Refresh"
        assert {"?", ":", "q", "0-9", "T", "ctrl+p"} <= set(global_keys)
        # Every pane with its number, in the keyboard's order: 0 comes after 9.
        assert global_keys["0-9"].startswith("switch pane: 1 Overview 2 Limits")
        assert global_keys["0-9"].endswith("9 Activity 0 Alarms")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)


async def test_number_keys_and_jump_switch_panes(sim_url: str) -> None:
    app = sim_app(sim_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("9")
        await pilot.pause()
        assert isinstance(app.screen, ActivityScreen)
        assert app.screen.query_one(HeaderBar).pane == "Activity"
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
        await pilot.press("colon")
        await pilot.pause()
        assert isinstance(app.screen, JumpScreen)
        await pilot.press("a", "c", "t", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ActivityScreen)
        await pilot.press("9")
        await pilot.pause()
        assert isinstance(app.screen, ActivityScreen)


async def test_jump_typed_in_one_burst_goes_where_it_says(sim_url: str) -> None:
    """`:act` Enter typed (or pasted) faster than the prompt opens: every key reaches the prompt. A `:`
    in a text field is the field's, and in a dialog the dialog's."""
    app = sim_app(sim_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
        for key, character in (("colon", ":"), ("a", "a"), ("c", "c"), ("t", "t"), ("enter", "\r")):
            app.post_message(events.Key(key, character))
        await pilot.pause(0.3)
        assert isinstance(app.screen, ActivityScreen)
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("slash", "a", "r", "n", "colon")
        await pilot.pause()
        assert not isinstance(app.screen, JumpScreen)
        assert app.screen.query_one(Input).value == "arn:"
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        await pilot.press("colon")
        await pilot.pause()
        assert not isinstance(app.screen, JumpScreen), "a dialog keeps its own keys"


async def test_pause_and_resume(sim_url: str) -> None:
    app = sim_app(sim_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("p")
        await pilot.pause()
        status = app.screen.query_one(StatusLine)
        assert status.paused and "paused" in status.render().plain
        await pilot.press("p")
        await pilot.pause()
        assert not status.paused


async def test_theme_switches_at_run_time(sim_url: str) -> None:
    app = sim_app(sim_url)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.theme == "warroom-dark"
        await pilot.press("T")
        await pilot.pause()
        assert app.theme == "warroom-high-contrast"


async def test_q_quits(sim_url: str) -> None:
    app = sim_app(sim_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


def test_no_color_is_honoured(sim_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = sim_app(sim_url)
    assert app.no_color
    assert "NO_COLOR" not in os.environ or os.environ["NO_COLOR"] == "1"


class DeniedFactory(ClientFactory):
    """Every call is refused, as for an identity with no permissions."""

    async def client(self, service: str, region: str | None = None) -> Any:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "no"}, "ResponseMetadata": {}}, "GetCallerIdentity"
        )


async def test_failed_poll_marks_stale_and_records_activity(sim_url: str) -> None:
    settings = sim_settings(sim_url)
    app = make_app(settings, factory=DeniedFactory(settings.target))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        screen = app.screen
        status = screen.query_one(StatusLine)
        assert "access denied" in status.problem
        assert "retry in" in status.render().plain
        identity = screen.query_one("#identity", Card)
        assert "access denied" in identity.problem and identity.hint
        assert "access denied" in screen.query_one("#card-us-east-1-ec2", Card).problem
        assert "identity unknown" in screen.query_one(HeaderBar).render().plain
        assert any(e.level == "warning" and e.pane == "Overview" for e in app.activity)
        await pilot.press("9")
        await pilot.pause()
        assert isinstance(app.screen, ActivityScreen)


async def test_command_palette_switches_panes(sim_url: str) -> None:
    app = sim_app(sim_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"pane activity")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ActivityScreen)


async def test_the_console_quits_when_its_terminal_is_gone(sim_url: str, tmp_path: Any) -> None:
    terminal = tmp_path / "pts-0"
    terminal.write_text("")
    app = sim_app(sim_url)
    async with app.run_test(size=(100, 30)) as pilot:
        app._check_terminal(str(terminal))
        await pilot.pause()
        assert app.is_running
        terminal.unlink()
        app._check_terminal(str(terminal))
        await pilot.pause()
    assert app.return_code == 1


def test_controlling_terminal_is_none_without_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from tui.app import controlling_terminal

    monkeypatch.setattr(sys, "__stdin__", io.StringIO(""))
    assert controlling_terminal() is None


async def test_a_key_typed_right_after_quit_opens_nothing(sim_url: str) -> None:
    """`q` then `n` in one burst: the note dialog must not open on a console that is closing (it
    crashed composing it)."""
    app = sim_app(sim_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        app.exit()
        await app.run_action("note")
        assert not [s for s in app.screen_stack if type(s).__name__ == "JournalNoteScreen"]
        await pilot.pause()
    assert app.return_code == 0
