"""The dialogs on their own: the shown lines are what runs, invisible characters included; one rule
confirms (y, Enter in a text field); a Tab typed in a burst moves on before the keys after it."""

from __future__ import annotations

from textual import events
from textual.app import App
from textual.widgets import Static

from tui.aws.actions import ApiCall, CliTarget, Plan, cli_lines
from tui.screens.confirm import ConfirmScreen
from tui.screens.findings_modals import NoteScreen
from tui.screens.session_form import SessionForm

HOSTILE = "sg-1\u202etxt.exe\u200b"


async def test_invisible_characters_are_shown_by_code_point_and_copied_exactly() -> None:
    calls = (
        ApiCall(
            "ec2",
            "RevokeSecurityGroupIngress",
            "us-east-1",
            {"GroupId": HOSTILE, "IpPermissions": [{"IpProtocol": "-1"}]},
        ),
        ApiCall("sqs", "CreateQueue", "us-east-1", {"QueueName": "a\nb"}),
    )
    target = CliTarget(profile="oncall", endpoints={"ec2": "http://127.0.0.1:4566"})
    app: App[None] = App()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = ConfirmScreen(Plan(title="Notify", why="test", calls=calls), read_only=False, cli=target)
        app.push_screen(screen)
        await pilot.pause()
        shown = str(screen.query_one(".confirm--calls", Static).render())
        assert "\u202e" not in shown and "\u200b" not in shown
        assert "sg-1⟨U+202E⟩txt.exe⟨U+200B⟩" in shown and "a⟨U+000A⟩b" in shown
        assert "--profile oncall --endpoint-url http://127.0.0.1:4566" in shown
        await pilot.press("c")
        await pilot.pause()
        lines = cli_lines(calls, target)
        assert HOSTILE in lines[0] and "'a\nb'" in lines[1]
        assert app.clipboard == "\n".join(lines) + "\n"


# ---- the one rule, and keys typed faster than the screen ------------------------------------------


def _burst(app: App[None], keys: str | list[str]) -> None:
    """Post ``keys`` to the app at once, as a terminal delivers a paste or tmux's send-keys."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_a_tab_typed_right_after_digits_moves_to_the_next_field() -> None:
    app: App[None] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        form = SessionForm("AWS-StartPortForwardingSession", "payments-db-1", {})
        app.push_screen(form)
        await pilot.pause()
        _burst(app, [*"8080", "tab", *"18080"])
        await pilot.pause()
        await pilot.pause()
        assert form.values() == {"portNumber": "8080", "localPortNumber": "18080", "reason": ""}


async def test_a_note_runs_with_enter_in_the_note_and_with_y_outside_it() -> None:
    plan = Plan(
        title="Suppress", why="", calls=(ApiCall("securityhub", "BatchUpdateFindings", "us-east-1", {}),)
    )
    app: App[None] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        for keys in (["enter"], ["tab", "y"]):
            chosen: list[str | None] = []
            note = NoteScreen("Suppress 1 finding", [], lambda text: plan, read_only=False)
            app.push_screen(note, chosen.append)
            await pilot.pause()
            assert note.typing() and note.prompt().startswith("Enter run it")
            await pilot.press(*"why not", *keys)
            await pilot.pause()
            assert chosen == ["why not"], keys
        # y typed in the note is a letter, not a confirmation
        chosen = []
        note = NoteScreen("Suppress 1 finding", [], lambda text: plan, read_only=False)
        app.push_screen(note, chosen.append)
        await pilot.pause()
        await pilot.press(*"yes", "tab")
        await pilot.pause()
        assert chosen == [] and note.prompt().startswith("y run it")
        await pilot.press("n")
        await pilot.pause()
        assert chosen == [None]
