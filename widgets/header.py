"""The header bar: who and where the console is, and the badges that change what it may do."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from widgets.safe import clean


class HeaderBar(Widget):
    """One line: app name, pane, account, profile, regions; DEMO and READ-ONLY badges on the right."""

    DEFAULT_CSS = """
    HeaderBar {
        dock: top;
        height: 1;
    }
    HeaderBar > .header--badge-demo { background: $accent; color: $background; text-style: bold; }
    HeaderBar > .header--badge-ro { background: $warning; color: $background; text-style: bold; }
    HeaderBar > .header--name { color: $primary; text-style: bold; }
    HeaderBar > .header--dim { color: $text-muted; }
    HeaderBar > .header--problem { color: $warning; }
    HeaderBar > .header--alert { background: $error; color: $background; text-style: bold; }
    HeaderBar > .header--badge-replay { background: $primary; color: $background; text-style: bold; }
    """
    COMPONENT_CLASSES = {
        "header--badge-demo",
        "header--badge-ro",
        "header--name",
        "header--dim",
        "header--problem",
        "header--alert",
        "header--badge-replay",
    }

    account: reactive[str] = reactive("")
    """The AWS account id, empty until identity is known."""
    identity_problem: reactive[str] = reactive("")
    """Why the identity is unknown (shown instead of the account)."""
    profile: reactive[str] = reactive("")
    """The named profile in use, or empty for the default chain."""
    regions: reactive[tuple[str, ...]] = reactive(())
    """Regions the console watches."""
    pane: reactive[str] = reactive("")
    """Title of the pane on screen."""
    demo: reactive[bool] = reactive(False)
    """True when pointed at the embedded simulator."""
    read_only: reactive[bool] = reactive(False)
    """True when every mutating action is refused."""
    alert: reactive[str] = reactive("")
    """A business service impaired or in breach of its impact tolerance, with its timer."""
    replay: reactive[str] = reactive("")
    """The playback position and speed when replaying a recording."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)

    def render(self) -> Text:
        name = self.get_component_rich_style("header--name")
        dim = self.get_component_rich_style("header--dim")
        problem = self.get_component_rich_style("header--problem")
        left = Text.assemble((" warroom ", name))
        if self.pane:
            left.append(f"│ {clean(self.pane)} ", dim)
        left.append("│ ", dim)
        if self.account:
            left.append("acct ", dim)
            left.append(clean(self.account))
        elif self.identity_problem:
            left.append("⚠ identity unknown: ", problem)
            left.append(clean(self.identity_problem), problem)
        else:
            left.append("acct …", dim)
        left.append("  profile ", dim)
        left.append(clean(self.profile) or "default")
        left.append("  region ", dim)
        left.append(clean(",".join(self.regions)) or "?")
        badges = Text()
        if self.alert:
            badges.append(f" {clean(self.alert)} ", self.get_component_rich_style("header--alert"))
            badges.append(" ")
        if self.replay:
            badges.append(f" {clean(self.replay)} ", self.get_component_rich_style("header--badge-replay"))
            badges.append(" ")
        if self.demo:
            badges.append(" DEMO ", self.get_component_rich_style("header--badge-demo"))
            badges.append(" ")
        if self.read_only:
            badges.append(" READ-ONLY ", self.get_component_rich_style("header--badge-ro"))
            badges.append(" ")
        width = self.size.width
        room = max(0, width - badges.cell_len)
        left.truncate(room, overflow="ellipsis")
        left.pad_right(room - left.cell_len)
        return left + badges
