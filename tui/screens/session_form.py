"""The small form a session document needs: ports, a remote host, and an optional reason, prefilled with
what was used last time on the same target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, Static

from tui.screens.dialog import Dialog
from widgets.safe import clean


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    placeholder: str
    port: bool = True


FIELDS: dict[str, tuple[Field, ...]] = {
    "": (),
    "AWS-StartPortForwardingSession": (
        Field("portNumber", "Port on the instance", "e.g. 8080"),
        Field("localPortNumber", "Local port", "e.g. 18080"),
    ),
    "AWS-StartPortForwardingSessionToRemoteHost": (
        Field("host", "Remote host (reached from the instance)", "e.g. db.internal", port=False),
        Field("portNumber", "Port on the remote host", "e.g. 5432"),
        Field("localPortNumber", "Local port", "e.g. 15432"),
    ),
    "AWS-StartSSHSession": (Field("portNumber", "SSH port on the instance", "22"),),
}
TITLES = {
    "": "Shell",
    "AWS-StartPortForwardingSession": "Port forward to the instance",
    "AWS-StartPortForwardingSessionToRemoteHost": "Port forward to a host through the instance",
    "AWS-StartSSHSession": "SSH over Session Manager",
}
DEFAULTS = {"AWS-StartSSHSession": {"portNumber": "22"}}


def field_problem(field: Field, value: str) -> str:
    if not value:
        return f"{field.label} is required"
    if field.port:
        if not value.isdigit() or not 1 <= int(value) <= 65535:
            return f"{field.label}: {value!r} is not a port (1-65535)"
    elif len(value) > 255 or any(c.isspace() for c in value):
        return f"{field.label}: {value!r} is not a host name or address"
    return ""


class SessionForm(Dialog[dict[str, str] | None]):
    """Dismisses with the values (document fields plus ``reason``), or None on Esc. Enter in any field
    goes on to the StartSession call, which asks once more (y) before anything is called."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    SessionForm > #dialog { max-width: 80; }
    SessionForm Label { color: $text-muted; }
    SessionForm #form-problem { color: $error; display: none; }
    SessionForm #form-problem.-shown { display: block; }
    """

    def __init__(self, document: str, target_name: str, preset: dict[str, str], *, where: str = "") -> None:
        super().__init__()
        self.document = document
        self.target_name = target_name
        self.where = where
        """In which account and region, and as whom, the session opens ("" in a console of one account)."""
        self.fields = FIELDS[document]
        self.preset = {**DEFAULTS.get(document, {}), **preset}

    def compose_top(self) -> ComposeResult:
        yield Static(Text(f"{TITLES[self.document]} · {clean(self.target_name)}"), classes="dialog--title")
        if self.where:
            yield Static(Text(clean(self.where)), classes="dialog--label")

    def compose_body(self) -> ComposeResult:
        for field in self.fields:
            yield Label(field.label)
            yield Input(
                value=self.preset.get(field.name, ""),
                placeholder=field.placeholder,
                id=f"f-{field.name}",
                type="integer" if field.port else "text",
            )
        yield Label("Reason (optional, kept with the session in AWS)")
        yield Input(value="", placeholder="e.g. INC-2231 check replication lag", id="f-reason")

    def compose_bottom(self) -> ComposeResult:
        yield Static("", id="form-problem")

    def prompt(self) -> str:
        return "Enter next: the call, to confirm with y · Tab next field · Esc cancel"

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def values(self) -> dict[str, str]:
        out = {f.name: self.query_one(f"#f-{f.name}", Input).value.strip() for f in self.fields}
        out["reason"] = self.query_one("#f-reason", Input).value.strip()
        return out

    def problem(self) -> str:
        values = self.values()
        for field in self.fields:
            problem = field_problem(field, values[field.name])
            if problem:
                return problem
        if len(values["reason"]) > 256:
            return "The reason can be at most 256 characters"
        return ""

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        problem = self.problem()
        shown = self.query_one("#form-problem", Static)
        shown.update(Text(f"✖ {problem}" if problem else ""))
        shown.set_class(bool(problem), "-shown")
        if problem:
            self.app.bell()
            return
        self.dismiss(self.values())

    def action_cancel(self) -> None:
        self.dismiss(None)
