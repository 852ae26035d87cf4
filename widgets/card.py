"""A titled card of label/value rows, or the problem that keeps its data away."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from widgets.safe import clean, literal

Row = tuple[str, str]


class Card(Widget):
    """Rows of ``label  value``. With a problem, it says what went wrong and what to do."""

    DEFAULT_CSS = """
    Card { height: auto; }
    Card > .card--label { color: $text-muted; }
    Card > .card--problem { color: $warning; }
    Card > .card--hint { color: $text-muted; text-style: italic; }
    """
    COMPONENT_CLASSES = {"card--label", "card--problem", "card--hint"}

    rows: reactive[tuple[Row, ...]] = reactive((), layout=True)
    """The label/value rows to show."""
    problem: reactive[str] = reactive("", layout=True)
    """What keeps this card's data away; empty when it is fine."""
    hint: reactive[str] = reactive("", layout=True)
    """What the user can do about the problem."""

    def __init__(
        self,
        title: str,
        *,
        compact: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.border_title = clean(title)
        self.compact = compact

    def watch_problem(self, problem: str) -> None:
        self.set_class(bool(problem), "-problem")

    def _problem_text(self) -> Text:
        text = Text()
        text.append("⚠ ")
        text.append(clean(self.problem), self.get_component_rich_style("card--problem"))
        if self.hint:
            text.append("\n→ ")
            text.append(clean(self.hint), self.get_component_rich_style("card--hint"))
        return text

    def render(self) -> RenderableType:
        if not self.rows:
            if self.problem:
                return self._problem_text()
            return Text("…", style=self.get_component_rich_style("card--label"))
        # Narrow cards right-align their numbers; a compact (wide) card keeps values beside labels.
        table = Table.grid(padding=(0, 1), expand=not self.compact)
        table.add_column(
            style=self.get_component_rich_style("card--label"),
            no_wrap=True,
            ratio=None if self.compact else 1,
        )
        table.add_column(justify="left" if self.compact else "right", no_wrap=True)
        for label, value in self.rows:
            table.add_row(literal(label), literal(value))
        if self.problem:
            # The last good rows stay; the problem says they are stale and why.
            return Group(table, self._problem_text())
        return table
