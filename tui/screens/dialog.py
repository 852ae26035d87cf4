"""The frame every dialog shares, so each fits the screen it is shown on, from 80x24 up: what it is
docked at the top, its prompt line docked at the bottom (always on screen), and a body between
them that scrolls with the keys and the mouse. A body taller than the screen says how many lines
are below, kept up to date as it scrolls, and where the most severe items are.

One rule confirms every dialog: ``y`` confirms, and while the cursor is in a text field (where y is
a letter) Enter confirms instead; ``n`` (outside a text field) or Esc cancels. ``CONFIRM_RULE`` says
it for the help screen; each dialog's prompt line says the keys that work where the focus is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, TypeVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static

from widgets.safe import clean

ResultT = TypeVar("ResultT")

#: How every dialog is confirmed and cancelled, for the help screen (the README says the same).
CONFIRM_RULE: tuple[tuple[str, str], ...] = (
    ("y", "confirm: run the calls shown (in a text field, where y is a letter: Enter)"),
    ("n Esc", "cancel: nothing is called (n outside a text field)"),
    ("↑ ↓ PgUp PgDn", "scroll a dialog's body (Home End too outside a text field); the mouse wheel"),
    ("Tab", "next field, or from a note to the plan it makes"),
)

SCROLL_HELP = "↓ PgDn End, wheel"


def more_text(below: int, above: int, severe: str = "") -> str:
    """The line under a body taller than its box: lines below (or that the end is reached), and where
    the most severe items are (``severe``)."""
    if below > 0:
        text = f"▼ {below:,} more line{'s' if below != 1 else ''} ({SCROLL_HELP})"
    elif above > 0:
        text = "▲ the end · ↑ PgUp Home scroll back up"
    else:
        return ""
    return f"{text} · {severe}" if severe else text


def bullets(lines: Sequence[str]) -> Table:
    """``lines`` as a bulleted list whose wrapped lines stay clear of the bullets (text shown literally)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for line in lines:
        table.add_row("•", Text(clean(line)))
    return table


def is_replay(app: App[Any]) -> bool:
    """Whether ``app`` plays a recording back (it never calls AWS, whatever its flags)."""
    return getattr(app, "replay", None) is not None


def is_watch(app: App[Any]) -> bool:
    """Whether ``app`` is a watch view: it follows a recording another console is writing."""
    return bool(getattr(getattr(app, "replay", None), "following", False))


REPLAY_REFUSAL = "✖ This is a replay of a recording: it never calls AWS, so nothing here can be run."
WATCH_REFUSAL = (
    "✖ This is a watch view: it follows the recording of the console that drives the game day, and it"
    " never calls AWS. Act from that console."
)


def offline_refusal(app: App[Any], doing: str) -> str:
    """One line for a toast: why a replay or a watch view does not do ``doing`` ("fixes nothing")."""
    if is_watch(app):
        return f"A watch view {doing}: it follows another console and never calls AWS; act there"
    return f"A replay of a recording {doing}: it never calls AWS"


def read_only_reason(app: App[Any]) -> str:
    """Why this console refuses every change: a replay or a watch view never acts; otherwise
    read-only mode."""
    if is_watch(app):
        return WATCH_REFUSAL
    if is_replay(app):
        return REPLAY_REFUSAL
    return "✖ Read-only mode: this console refuses every change. Start it without --read-only to act."


class TellsItsDialog:
    """A dialog's body: says when its size changes (showing the "more" line shrinks it, a terminal
    resize grows it), so the count of lines below is made from the size it has."""

    def on_resize(self) -> None:
        screen = getattr(self, "screen", None)
        if isinstance(screen, Dialog):
            screen.refresh_more()


class DialogBody(TellsItsDialog, VerticalScroll):
    """The body of most dialogs: a column of widgets that scrolls."""


class DialogOptions(TellsItsDialog, OptionList):
    """The body of a dialog that is a list to choose from (it scrolls by itself)."""


class Dialog(ModalScreen[ResultT]):
    """A modal with a docked top (``compose_top``), a docked prompt line (``prompt``) and a body
    (``compose_body``) that scrolls. ``severe`` says where the most severe items of a tall body are."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: a Tab typed right after text moves on before the next keys arrive, so "8080",
        # Tab, "18080" sent at once fills two fields, not one.
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
        Binding("up", "scroll_body('up')", "Scroll up", show=False),
        Binding("down", "scroll_body('down')", "Scroll down", show=False),
        Binding("pageup", "scroll_body('page_up')", "Page up", show=False),
        Binding("pagedown", "scroll_body('page_down')", "Page down", show=False),
        Binding("home", "scroll_body('home')", "Top", show=False),
        Binding("end", "scroll_body('end')", "End", show=False),
    ]

    DEFAULT_CSS = """
    Dialog { align: center middle; }
    /* A notification never covers the prompt line, nor the line that counts what is below. */
    Dialog > ToastRack { margin-bottom: 3; }
    Dialog > #dialog {
        width: 100%; max-width: 110; height: auto; max-height: 100%;
        border: thick $accent; background: $panel; padding: 0 1;
    }
    Dialog .dialog--top { dock: top; height: auto; }
    Dialog .dialog--bottom { dock: bottom; height: auto; }
    Dialog #dialog-body { height: auto; max-height: 100%; background: $panel; }
    Dialog #dialog-body:focus { background-tint: $foreground 4%; }
    Dialog .dialog--title { text-style: bold; }
    Dialog .dialog--label { color: $text-muted; margin-top: 1; }
    Dialog .dialog--refusal { color: $error; text-style: bold; }
    Dialog #dialog-more { color: $text-muted; display: none; }
    Dialog #dialog-more.-shown { display: block; }
    Dialog #dialog-prompt { color: $accent; text-style: bold; }
    """

    #: Where the most severe items of the body are, said when it does not fit ("" for nothing).
    severe: str = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            with Vertical(classes="dialog--top"):
                yield from self.compose_top()
            with Vertical(classes="dialog--bottom"):
                yield from self.compose_bottom()
                yield Static("", id="dialog-more")
                yield Static(self.prompt(), id="dialog-prompt")
            yield from self.compose_frame_body()

    def compose_top(self) -> ComposeResult:
        """What stays on screen above the body: the title, and a refusal."""
        yield from ()

    def compose_bottom(self) -> ComposeResult:
        """What stays on screen above the prompt line (a field the prompt needs)."""
        yield from ()

    def compose_frame_body(self) -> ComposeResult:
        """The body: a scrolling container of ``compose_body`` (a dialog whose body is a list yields a
        ``DialogOptions`` here with the id ``dialog-body``)."""
        with DialogBody(id="dialog-body"):
            yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def prompt(self) -> str:
        """The keys that work now, shown on the docked prompt line."""
        return "Esc closes"

    # -- the prompt and the "more" line --------------------------------------------------------

    @property
    def dialog_body(self) -> Widget:
        return self.query_one("#dialog-body")

    def on_mount(self) -> None:
        body = self.dialog_body
        self.watch(body, "scroll_y", self._body_moved, init=False)
        self.watch(body, "virtual_size", self._body_moved, init=False)
        self.call_after_refresh(self.refresh_more)

    def on_resize(self) -> None:
        self.call_after_refresh(self.refresh_more)

    def _body_moved(self) -> None:
        self.call_after_refresh(self.refresh_more)

    def refresh_prompt(self) -> None:
        self.query_one("#dialog-prompt", Static).update(Text(self.prompt()))

    def lines_below(self) -> int:
        body = self.dialog_body
        return max(0, round(body.max_scroll_y - body.scroll_y))

    def refresh_more(self) -> None:
        """Show, or hide, how many lines of the body are below what is on screen."""
        if not self.is_mounted:
            return
        body = self.dialog_body
        text = more_text(self.lines_below(), round(body.scroll_y), self.severe)
        more = self.query_one("#dialog-more", Static)
        more.update(Text(text))
        # Showing or hiding this line resizes the body, which then counts again (TellsItsDialog).
        more.set_class(bool(text), "-shown")

    def on_descendant_focus(self) -> None:
        self.refresh_prompt()

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self.refresh_prompt)

    def typing(self) -> bool:
        """Whether the focus is in a text field (where y is a letter and Enter confirms)."""
        return isinstance(self.focused, Input)

    def action_scroll_body(self, how: str) -> None:
        body = self.dialog_body
        if how == "up":
            body.scroll_up(animate=False)
        elif how == "down":
            body.scroll_down(animate=False)
        elif how == "page_up":
            body.scroll_page_up(animate=False)
        elif how == "page_down":
            body.scroll_page_down(animate=False)
        elif how == "home":
            body.scroll_home(animate=False)
        elif how == "end":
            body.scroll_end(animate=False)


class FacetFilter(Protocol):
    """A list's filter as a facet dialog changes it: the values chosen per facet (none: any value)."""

    def values(self, facet: str) -> frozenset[str]: ...

    def toggled(self, facet: str, value: str) -> Any: ...


FilterT = TypeVar("FilterT", bound=FacetFilter)


class FacetDialog(Dialog[FilterT | None]):
    """Every facet's values with their counts, each marked ☑ or ☐ (not by colour alone); space
    toggles, Enter applies the filter, c clears it to ``cleared``, Esc keeps the old one. A list's
    dialog names its facets (``TITLES``, in a column ``TITLE_WIDTH`` wide) and says what it is."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "apply", "Apply", priority=True),
        Binding("space", "flip", "Toggle", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("c", "clear", "Clear all"),
    ]

    DEFAULT_CSS = """
    FacetDialog .facet--help { color: $text-muted; }
    """

    TITLES: ClassVar[dict[str, str]] = {}
    TITLE_WIDTH: ClassVar[int] = 11

    def __init__(self, entries: Sequence[tuple[str, str, int]], current: FilterT, cleared: FilterT) -> None:
        super().__init__()
        self.entries = list(entries)
        """(facet, value, count) of each line, in the order shown."""
        self.current = current
        self.chosen = current
        self.cleared = cleared

    def _prompt(self, index: int) -> Text:
        facet, value, count = self.entries[index]
        mark = "☑" if value in self.chosen.values(facet) else "☐"
        prompt = Text(f"{mark} ")
        prompt.append(f"{self.TITLES.get(facet, facet):<{self.TITLE_WIDTH}}", style="dim")
        prompt.append(f"{clean(self.value_text(facet, value) or 'none')}  ")
        prompt.append(f"{count:,}", style="dim")
        return prompt

    def value_text(self, facet: str, value: str) -> str:
        """How a facet's value reads in the list (the value itself unless a dialog says better)."""
        return value

    def compose_frame_body(self) -> ComposeResult:
        yield DialogOptions(*(self._prompt(i) for i in range(len(self.entries))), id="dialog-body")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def _redraw(self) -> None:
        listing = self.query_one(OptionList)
        for index in range(len(self.entries)):
            listing.replace_option_prompt_at_index(index, self._prompt(index))

    def toggle(self, facet: str, value: str) -> None:
        self.chosen = self.chosen.toggled(facet, value)
        self._redraw()

    def action_flip(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None:
            facet, value, _ = self.entries[index]
            self.toggle(facet, value)

    def action_clear(self) -> None:
        self.chosen = self.cleared
        self._redraw()

    def action_apply(self) -> None:
        self.dismiss(self.chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
