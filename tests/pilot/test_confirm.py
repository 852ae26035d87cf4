"""The confirm dialog on its own: the shown lines are what runs, invisible characters included."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Static

from tui.aws.actions import ApiCall, CliTarget, Plan, cli_lines
from tui.screens.confirm import ConfirmScreen

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
