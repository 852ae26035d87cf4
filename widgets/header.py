"""The header bar: who and where the console is, and the badges that change what it may do.

The header gives way in a fixed order when the terminal is narrow (``header_lines``): the account
id, the badges (READ-ONLY, DEMO, REPLAY) and the business services' timer never shrink. The app's
name goes first, then the regions shorten to the first and a count ("us-east-1 +2"), the profile
to a few letters ("prof…"), the pane's title, and the badges lose their padding; then the profile,
the regions and the pane's title go. Only when the account and the badges still do not fit on one
line do the timers move to a line of their own, so none of them is ever cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from widgets.safe import clean

Piece = tuple[str, str]
"""Text and its role: "" (plain), "name", "dim", "problem", or a badge's ("alert", "muted",
"replay", "demo", "ro")."""
Line = list[Piece]

MIN_PROFILE = 5
"""Cells the profile keeps when it shortens ("prof…")."""
MIN_PANE = 4
"""Cells the pane's title keeps when it shortens ("Exp…")."""
MIN_PROBLEM = 24
"""Cells of an identity problem's reason kept before the profile or the regions go."""
_IDENTITY_UNKNOWN = "⚠ identity unknown"


@dataclass(frozen=True)
class HeaderFields:
    """What the header shows; text is shown literally (cleaned of control characters)."""

    pane: str = ""
    account: str = ""
    identity_problem: str = ""
    profile: str = ""
    regions: tuple[str, ...] = ()
    scope: str = ""
    """``5 accounts · 2 regions`` when the console watches several accounts (it stands for the
    regions)."""
    alert: str = ""
    muted: str = ""
    replay: str = ""
    demo: bool = False
    read_only: bool = False


@dataclass(frozen=True)
class _Stage:
    """One way of showing the left part: which parts are there, and which one takes the room left."""

    name: bool
    regions: str
    """"all", "short" or "" (gone)."""
    profile: str
    """"all", "fit" (shortened to the room left, at least MIN_PROFILE), "min" or "" (gone)."""
    pane: str
    """"all", "fit" or "" (gone)."""


_STAGES = (
    _Stage(True, "all", "all", "all"),
    _Stage(False, "all", "all", "all"),
    _Stage(False, "short", "all", "all"),
    _Stage(False, "short", "fit", "all"),
    _Stage(False, "short", "min", "fit"),
    _Stage(False, "short", "", "fit"),
    _Stage(False, "", "", "fit"),
    _Stage(False, "", "", ""),
)


def _cells(line: Sequence[Piece]) -> int:
    return sum(cell_len(text) for text, _ in line)


def shorten(text: str, cells: int) -> str:
    """``text`` in at most ``cells`` cells, ending in "…" when cut ("" when ``cells`` < 1)."""
    if cell_len(text) <= cells:
        return text
    if cells < 1:
        return ""
    return set_cell_size(text, cells - 1) + "…"


def regions_text(regions: Sequence[str], *, short: bool) -> str:
    """ "us-east-1,eu-west-1,ap-south-1", or short "us-east-1 +2"; "?" when there are none."""
    if not regions:
        return "?"
    if short and len(regions) > 1:
        return f"{regions[0]} +{len(regions) - 1}"
    return ",".join(regions)


def _badges(f: HeaderFields, *, padded: bool) -> list[Line]:
    """Each badge as its pieces, in the order shown: timer, muted alarms, replay, DEMO, READ-ONLY."""
    pad = " " if padded else ""
    shown = [
        (clean(f.alert), "alert"),
        (clean(f.muted), "muted"),
        (clean(f.replay), "replay"),
        ("DEMO" if f.demo else "", "demo"),
        ("READ-ONLY" if f.read_only else "", "ro"),
    ]
    return [[(f"{pad}{text}{pad}", role)] for text, role in shown if text]


def _join_badges(badges: Sequence[Line]) -> Line:
    """The badges with one space before each."""
    line: Line = []
    for badge in badges:
        line.append((" ", ""))
        line.extend(badge)
    return line


def _left(f: HeaderFields, stage: _Stage, pane: str, profile: str, problem: str) -> Line:
    line: Line = [(" ", "")]
    if stage.name:
        line += [("warroom", "name"), (" ", "")]
    if pane:
        line += [("│ " if stage.name else "", "dim"), (pane, ""), (" ", "")]
    if stage.name or pane:
        line.append(("│ ", "dim"))
    if f.account:
        line += [("acct ", "dim"), (clean(f.account), "")]
    elif f.identity_problem:
        line.append((_IDENTITY_UNKNOWN + (f": {problem}" if problem else ""), "problem"))
    else:
        line.append(("acct …", "dim"))
    if stage.profile:
        line += [("  profile ", "dim"), (profile, "")]
    if stage.regions and f.scope:
        scope = clean(f.scope)
        line += [("  ", ""), (scope if stage.regions == "all" else scope.split(" · ", 2)[0], "")]
    elif stage.regions:
        line += [("  region ", "dim"), (clean(regions_text(f.regions, short=stage.regions == "short")), "")]
    return [piece for piece in line if piece[0]]


def _stage_line(f: HeaderFields, stage: _Stage, room: int) -> Line:
    """The left part at ``stage``: the part that fits (``"fit"``) takes the room left, and the reason
    of an identity problem whatever is left after that (at least MIN_PROBLEM cells of it)."""
    pane_all = clean(f.pane)
    profile_all = clean(f.profile) or "default"
    reason = "" if f.account else clean(f.identity_problem)
    problem = shorten(reason, MIN_PROBLEM)
    pane = pane_all if stage.pane == "all" else shorten(pane_all, MIN_PANE) if stage.pane else ""
    profile = profile_all if stage.profile == "all" else shorten(profile_all, MIN_PROFILE)
    profile = profile if stage.profile else ""
    if stage.profile == "fit":
        base = _cells(_left(f, stage, pane, profile, problem)) - cell_len(profile)
        profile = shorten(profile_all, max(MIN_PROFILE, room - base))
    if stage.pane == "fit":
        base = _cells(_left(f, stage, pane, profile, problem)) - cell_len(pane)
        pane = shorten(pane_all, max(MIN_PANE, room - base))
    if reason:
        base = _cells(_left(f, stage, pane, profile, "")) + len(": ")
        problem = shorten(reason, max(cell_len(problem), room - base))
    return _left(f, stage, pane, profile, problem)


def _fit_left(f: HeaderFields, room: int, stages: Sequence[_Stage] = _STAGES) -> Line | None:
    """The widest left part that fits in ``room`` cells, or None when even the narrowest does not."""
    for stage in stages:
        line = _stage_line(f, stage, room)
        if _cells(line) <= room:
            return line
    return None


def _crop(line: Line, width: int) -> Line:
    """``line`` cut to ``width`` cells, with "…" where it was cut."""
    if _cells(line) <= width:
        return line
    kept: Line = []
    room = width
    for text, role in line:
        if cell_len(text) >= room:
            kept.append((shorten(text + " ", room) if room > 0 else "", role))
            break
        kept.append((text, role))
        room -= cell_len(text)
    return kept


def _pad_between(left: Line, right: Line, width: int) -> Line:
    gap = max(0, width - _cells(left) - _cells(right))
    return [*left, (" " * gap, ""), *right]


_PADDED_STAGES = 2
"""The stages tried with padded badges before the badges lose their padding."""


def header_lines(f: HeaderFields, width: int) -> list[Line]:
    """The header at ``width`` cells: one line when the account and every badge fit on it, else
    the timers (replay, services) on lines of their own below. Every line is at most ``width``
    cells; only what is wider than the whole terminal is ever cut."""
    for padded, stages in ((True, _STAGES[:_PADDED_STAGES]), (False, _STAGES)):
        right = _join_badges(_badges(f, padded=padded))
        left = _fit_left(f, width - _cells(right), stages)
        if left is not None:
            padded_right = _join_badges(_badges(f, padded=True))
            if _cells(left) + _cells(padded_right) <= width:
                right = padded_right
            return [_pad_between(left, right, width)]
    # The timers go below, each on the first line with room for it, right-aligned.
    badges = _badges(f, padded=True)
    kept = [b for b in badges if b[0][1] in ("demo", "ro")]
    moved = [b for b in badges if b[0][1] not in ("demo", "ro")]
    right = _join_badges(kept)
    left = _fit_left(f, width - _cells(right))
    if left is None:
        left = _fit_left(f, width) or _crop(_stage_line(f, _STAGES[-1], 0), width)
        moved = kept + moved
        right = []
    lines = [_pad_between(left, right, width)]
    below: list[Line] = []
    for badge in moved:
        for line in below:
            if _cells(line) + 1 + _cells(badge) <= width:
                line.extend(_join_badges([badge]))
                break
        else:
            below.append(_join_badges([badge]))
    lines += [_pad_between([], _crop(line, width), width) for line in below]
    return lines


class HeaderBar(Widget):
    """App name, pane, account, profile, regions; the services' timer and the REPLAY, DEMO and
    READ-ONLY badges on the right. Usually one line; two when the badges need it (``header_lines``)."""

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
    HeaderBar > .header--muted { background: $secondary; color: $background; text-style: bold; }
    HeaderBar > .header--badge-replay { background: $primary; color: $background; text-style: bold; }
    """
    COMPONENT_CLASSES = {
        "header--badge-demo",
        "header--badge-ro",
        "header--name",
        "header--dim",
        "header--problem",
        "header--alert",
        "header--muted",
        "header--badge-replay",
    }

    account: reactive[str] = reactive("")
    """The AWS account id, empty until identity is known."""
    identity_problem: reactive[str] = reactive("")
    """Why the identity is unknown (shown instead of the account)."""
    profile: reactive[str] = reactive("")
    """The named profile in use, or empty for the default chain."""
    regions: reactive[tuple[str, ...]] = reactive(())
    scope: reactive[str] = reactive("")
    """``5 accounts · 2 regions`` when several accounts are watched (in place of the regions)."""
    """Regions the console watches."""
    pane: reactive[str] = reactive("")
    """Title of the pane on screen."""
    demo: reactive[bool] = reactive(False)
    """True when pointed at the embedded simulator."""
    read_only: reactive[bool] = reactive(False)
    """True when every mutating action is refused."""
    alert: reactive[str] = reactive("")
    """A business service impaired or in breach of its impact tolerance, with its timer."""
    muted: reactive[str] = reactive("")
    """The alarms this console muted and that are still muted, with the time left."""
    replay: reactive[str] = reactive("")
    """The playback position and speed when replaying a recording."""

    _ROLES = {
        "name": "header--name",
        "dim": "header--dim",
        "problem": "header--problem",
        "alert": "header--alert",
        "muted": "header--muted",
        "replay": "header--badge-replay",
        "demo": "header--badge-demo",
        "ro": "header--badge-ro",
    }

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)

    @property
    def fields(self) -> HeaderFields:
        """What the header shows now."""
        return HeaderFields(
            pane=self.pane,
            account=self.account,
            identity_problem=self.identity_problem,
            profile=self.profile,
            regions=self.regions,
            scope=self.scope,
            alert=self.alert,
            muted=self.muted,
            replay=self.replay,
            demo=self.demo,
            read_only=self.read_only,
        )

    def render(self) -> Text:
        if self.size.width <= 0:
            return Text()
        lines = header_lines(self.fields, self.size.width)
        if self.styles.height is None or self.styles.height.value != len(lines):
            # Only a change of line count relayouts the screen, not each tick of a timer.
            self.styles.height = len(lines)
        styles = {role: self.get_component_rich_style(name) for role, name in self._ROLES.items()}
        text = Text(no_wrap=True, overflow="crop")
        for n, line in enumerate(lines):
            if n:
                text.append("\n")
            for piece, role in line:
                text.append(piece, styles.get(role, ""))
        return text
