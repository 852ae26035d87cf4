"""Charts for the lessons-learned report: a text sparkline for Markdown and an inline SVG line chart
for HTML. Plain strings out; every piece of text placed in the SVG is escaped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from tui.common.timefmt import wall_text

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], *, low: float | None = None, high: float | None = None) -> str:
    """One block character per value, scaled from ``low`` to ``high`` (by default the smallest and
    largest known value); an unknown value is a space. Values outside the scale are clamped."""
    known = [v for v in values if v is not None and math.isfinite(v)]
    if not known:
        return " " * len(values)
    lo = min(known) if low is None else low
    hi = max(known) if high is None else high
    span = hi - lo
    top = len(BLOCKS) - 1
    out: list[str] = []
    for value in values:
        if value is None or not math.isfinite(value):
            out.append(" ")
        elif span <= 0:
            out.append(BLOCKS[top // 2])
        else:
            share = min(1.0, max(0.0, (value - lo) / span))
            out.append(BLOCKS[round(share * top)])
    return "".join(out)


def number_text(value: float, unit: str = "") -> str:
    """A value for an axis or a sentence: three significant figures (thousands grouped)."""
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    if size >= 1000:
        text = f"{value:,.0f}"
    elif size >= 100 or value == int(value):
        text = f"{value:.0f}"
    elif size >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".") if size >= 0.01 else f"{value:.2g}"
    if unit == "%":
        return text + "%"
    return f"{text} {unit}" if unit else text


def nice_ticks(low: float, high: float, count: int = 4) -> tuple[float, float, list[float]]:
    """An axis from ``low`` to ``high`` widened to round steps (1, 2, 2.5 or 5 times a power of
    ten), and its tick values: (axis low, axis high, ticks)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return low, high, [low, high]
    raw = (high - low) / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    ticks: list[float] = []
    value = first
    while value <= last + step / 2:
        ticks.append(round(value, 10))
        value += step
    return first, last, ticks


def svg_line_chart(
    points: Sequence[tuple[datetime, float | None]],
    *,
    threshold: float | None,
    start: datetime,
    end: datetime,
    width: int = 640,
    height: int = 220,
    title: str = "",
    unit: str = "",
) -> str:
    """An inline SVG line chart of ``points`` (time, value; None leaves a gap), with the window
    from ``start`` to ``end`` shaded, the threshold as a dashed line, axis labels (times in UTC)
    and ``title`` above. The time axis spans the points and the window."""
    left, right, top, bottom = 64, 16, 40, 34
    plot_w = max(10, width - left - right)
    plot_h = max(10, height - top - bottom)
    times = [t for t, _ in points]
    t0 = min([*times, start]).timestamp()
    t1 = max([*times, end]).timestamp()
    if t1 <= t0:
        t1 = t0 + 1.0
    values = [v for _, v in points if v is not None and math.isfinite(v)]
    scale = list(values)
    if threshold is not None and math.isfinite(threshold):
        scale.append(threshold)
    lo = min(scale) if scale else 0.0
    hi = max(scale) if scale else 1.0
    if lo > 0:
        lo = 0.0
    if hi <= lo:
        hi = lo + 1.0
    lo, hi, ticks = nice_ticks(lo, hi)

    def x(moment: datetime) -> float:
        return left + (moment.timestamp() - t0) / (t1 - t0) * plot_w

    def y(value: float) -> float:
        return top + (1.0 - (value - lo) / (hi - lo)) * plot_h

    label = title or "chart"
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        'font-family="sans-serif" font-size="11">',
        f"<title>{escape(label)}</title>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#ffffff" stroke="#999999"/>',
    ]
    wx0, wx1 = x(start), x(max(end, start))
    parts.append(
        f'<rect x="{wx0:.1f}" y="{top}" width="{max(1.0, wx1 - wx0):.1f}" height="{plot_h}" '
        'fill="#f2b8b5" fill-opacity="0.35"><title>fault window</title></rect>'
    )
    if title:
        room = max(8, int((width - 16) / 7.5))
        shown = title if len(title) <= room else title[: room - 1] + "…"
        parts.append(f'<text x="8" y="16" font-size="13" font-weight="bold">{escape(shown)}</text>')
    tick_unit = unit if unit == "%" else ""
    if unit and not tick_unit:
        parts.append(f'<text x="8" y="{top - 8}" fill="#555555">{escape(unit)}</text>')
    for value in ticks:
        py = y(value)
        tick = escape(number_text(value, tick_unit))
        parts.append(
            f'<line x1="{left - 4}" y1="{py:.1f}" x2="{left}" y2="{py:.1f}" stroke="#999999"/>'
            f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    base = top + plot_h
    for moment, anchor in (
        (datetime.fromtimestamp(t0, UTC), "start"),
        (datetime.fromtimestamp(t1, UTC), "end"),
    ):
        stamp = escape(wall_text(moment))
        parts.append(f'<text x="{x(moment):.1f}" y="{base + 16}" text-anchor="{anchor}">{stamp} UTC</text>')
    parts.append(
        f'<text x="{(wx0 + wx1) / 2:.1f}" y="{base + 28}" text-anchor="middle" fill="#8c1d18">'
        f"fault {escape(wall_text(start))} to {escape(wall_text(end))}</text>"
    )
    if threshold is not None and math.isfinite(threshold):
        ty = y(threshold)
        label_y = ty - 4 if ty - 4 >= top + 12 else ty + 14
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" stroke="#b3261e" '
            'stroke-width="1.5" stroke-dasharray="6 4"/>'
            f'<text x="{left + plot_w - 4}" y="{label_y:.1f}" text-anchor="end" fill="#b3261e">'
            f"threshold {escape(number_text(threshold, unit))}</text>"
        )
    run: list[str] = []
    runs: list[list[str]] = []
    for moment, point in points:
        if point is None or not math.isfinite(point):
            if run:
                runs.append(run)
            run = []
            continue
        run.append(f"{x(moment):.1f},{y(point):.1f}")
    if run:
        runs.append(run)
    for segment in runs:
        if len(segment) == 1:
            cx, cy = segment[0].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="#1d4f91"/>')
        else:
            parts.append(
                f'<polyline points="{" ".join(segment)}" fill="none" stroke="#1d4f91" stroke-width="2"/>'
            )
    if not values:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
            'fill="#666666">no data recorded</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
