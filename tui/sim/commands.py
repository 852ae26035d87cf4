"""``warroom sim`` commands for game days: serve options, and inject / clear / faults against a
running simulator (through its control API, ``tui.sim.control``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from tui.common.catalogue import BY_ID
from tui.common.durations import DurationError, parse_duration
from tui.common.timefmt import compact_duration_text, offset_text

# ``warroom --help`` builds its parser with this module: the control API's client (urllib.request,
# about 60 ms) and the scenario reader (the codec, about 40 ms) are imported by the functions that
# run them.

FAULT_COMMANDS = ("inject", "clear", "faults")
LOG_LINES = 15


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"the speed must be a number above 0, not {text}")
    return value


def _duration(text: str) -> float:
    try:
        return parse_duration(text, what="the duration")
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """``--scenario FILE|default`` and ``--speed N`` (for ``warroom sim serve`` and ``warroom demo``)."""
    parser.add_argument(
        "--scenario",
        metavar="FILE",
        help="play a game-day scenario: a TOML file, or 'default' for the built-in rehearsal",
    )
    parser.add_argument(
        "--speed",
        type=_speed,
        metavar="N",
        help="scenario seconds per wall second (default: the scenario's own speed, else 1)",
    )


def _fleet_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"the fleet must be 1 instance or more, not {text}")
    return value


def add_org_options(parser: argparse.ArgumentParser) -> None:
    """``--org`` and ``--fleet N`` (for ``warroom sim serve`` and ``warroom demo``)."""
    parser.add_argument(
        "--org",
        action="store_true",
        help="simulate an AWS Organization: 6 accounts (3 with a workload, one unreachable) in 2 regions",
    )
    parser.add_argument(
        "--fleet",
        type=_fleet_size,
        metavar="N",
        help="grow the workload to N instances in all, spread over the workload accounts and regions "
        "with --org (at least the catalog's fleet in each); a grown fleet's metrics go back 70 minutes",
    )


def check_org_options(args: argparse.Namespace) -> None:
    """Refuse ``--fleet N`` below the workload's own fleet, and ``--org`` with ``--empty`` or a
    scenario, in one line on stderr (exit status 2)."""
    org = bool(getattr(args, "org", False))
    fleet = getattr(args, "fleet", None)
    problem = ""
    if org and getattr(args, "empty", False):
        problem = "--org needs the workload: it cannot run with --empty"
    elif org and getattr(args, "scenario", None):
        problem = "--org takes no faults yet: play a scenario without --org"
    elif fleet is not None and getattr(args, "empty", False):
        problem = "--fleet needs the workload: it cannot run with --empty"
    elif fleet is not None:
        from tui.sim import catalog  # the fleet's table, read when asked for

        places = 1
        if org:
            from tui.sim.org import SLOTS as places
        problem = catalog.fleet_too_small(fleet, places)
    if problem:
        print(f"warroom: {problem}", file=sys.stderr)
        raise SystemExit(2)


def _endpoint_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint-url",
        default=argparse.SUPPRESS,
        help="the simulator's URL (default: $AWS_ENDPOINT_URL)",
    )


def add_fault_commands(sim_subparsers: Any) -> None:
    """``inject``, ``clear`` and ``faults`` under ``warroom sim``."""
    faults = ", ".join(BY_ID)
    inject = sim_subparsers.add_parser(
        "inject",
        help="start a fault in a running simulator",
        description=f"Start a fault of the catalogue in a running simulator. Faults: {faults}.",
    )
    inject.add_argument("fault", metavar="FAULT", help="the fault's id (warroom sim faults lists them)")
    inject.add_argument("--target", metavar="ID", help="a resource id or name (default: the fault's own)")
    inject.add_argument(
        "--duration",
        type=_duration,
        metavar="TIME",
        help="end it after this much scenario time (90s, 10m, 1h30m; default: until cleared or mitigated)",
    )
    _endpoint_option(inject)
    clear = sim_subparsers.add_parser(
        "clear",
        help="end a fault in a running simulator and restore what it changed",
        description="End a fault (on one target, or wherever it is active) and restore what it changed.",
    )
    clear.add_argument("fault", metavar="FAULT", help="the fault's id")
    clear.add_argument("--target", metavar="ID", help="only on this resource (id or name)")
    _endpoint_option(clear)
    listing = sim_subparsers.add_parser(
        "faults",
        help="the fault catalogue, active faults, the scenario's schedule and the simulator's log",
    )
    listing.add_argument("--json", action="store_true", help="print the simulator's status as JSON")
    _endpoint_option(listing)


def scenario_from_args(args: argparse.Namespace) -> Any:
    """The ``--scenario`` of ``warroom sim serve`` / ``warroom demo`` (None without one); a scenario
    that cannot be read, or names a resource the workload lacks, exits with status 2 and says why."""
    value = getattr(args, "scenario", None)
    if not value:
        return None
    from tui.sim.scenario import ScenarioError, check_names, scenario_from  # see the note at the top

    try:
        scenario = scenario_from(str(value))
        check_names(scenario)
    except ScenarioError as exc:
        print(f"warroom: --scenario {value}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return scenario


def speed_from_args(args: argparse.Namespace) -> float | None:
    """The ``--speed`` given (None: the scenario's own speed, else 1)."""
    speed = getattr(args, "speed", None)
    return None if speed is None else float(speed)


def _endpoint(args: argparse.Namespace) -> str:
    url = getattr(args, "endpoint_url", None) or os.environ.get("AWS_ENDPOINT_URL") or ""
    if not url:
        raise _Failure("no simulator given: pass --endpoint-url URL (the URL warroom sim serve printed)")
    return str(url)


class _Failure(Exception):
    pass


def run_fault_command(
    args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run ``warroom sim inject|clear|faults``: 0 when done, 2 with one line on stderr otherwise."""
    from tui.sim.control import ControlClient, ControlError  # see the note at the top

    stdout = out or sys.stdout
    stderr = err or sys.stderr
    command = getattr(args, "sim_command", "")
    try:
        if command not in FAULT_COMMANDS:
            raise _Failure(f"unknown simulator command {command!r}")
        client = ControlClient(_endpoint(args))
        if command == "inject":
            state = client.inject(args.fault, getattr(args, "target", None), getattr(args, "duration", None))
            stdout.write(started_line(state) + "\n")
        elif command == "clear":
            cleared = client.clear(args.fault, getattr(args, "target", None))
            if not cleared:
                where = f" on {args.target}" if getattr(args, "target", None) else ""
                stdout.write(f"{args.fault} is not active{where}: nothing to clear\n")
            for state in cleared:
                stdout.write(cleared_line(state) + "\n")
        else:
            status = client.status()
            if getattr(args, "json", False):
                stdout.write(json.dumps(status, indent=2, sort_keys=True) + "\n")
            else:
                stdout.write(status_text(status))
    except (ControlError, _Failure) as exc:
        stderr.write(f"warroom: {exc}\n")
        return 2
    stdout.flush()
    return 0


# --------------------------------------------------------------------------------------------
# What people read
# --------------------------------------------------------------------------------------------


def _label(state: Mapping[str, Any]) -> str:
    return str(state.get("target_name") or state.get("target") or "?")


def _span(seconds: Any) -> str:
    return compact_duration_text(float(seconds)) if isinstance(seconds, int | float) else ""


def started_line(state: Mapping[str, Any]) -> str:
    """``started kinesis-write-throttle on payments-events (experiment EXP..., origin facilitator)``."""
    lasting = f" for {_span(state['duration_s'])}" if state.get("duration_s") else ""
    return (
        f"started {state.get('fault')} on {_label(state)}{lasting} "
        f"(experiment {state.get('experiment_id') or '?'}, origin {state.get('origin') or '?'})"
    )


def cleared_line(state: Mapping[str, Any]) -> str:
    return f"cleared {state.get('fault')} on {_label(state)} (experiment {state.get('experiment_id') or '?'})"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return lines


def _clock(seconds: Any) -> str:
    return offset_text(float(seconds)) if isinstance(seconds, int | float) else ""


def status_text(status: Mapping[str, Any]) -> str:
    """The simulator's status as tables people read."""
    lines: list[str] = []
    scenario = status.get("scenario")
    speed = status.get("speed", 1)
    if isinstance(scenario, Mapping):
        lines.append(
            f"Scenario {scenario.get('name')}: {scenario.get('state')}, {_clock(scenario.get('elapsed_s'))} "
            f"of {_clock(scenario.get('duration_s'))[2:]} at speed {speed:g}"
        )
    else:
        lines.append(f"No scenario (speed {speed:g}); seed {status.get('seed')}")
    faults = [f for f in status.get("faults") or [] if isinstance(f, Mapping)]
    active = [f for f in faults if f.get("state") == "active"]
    lines.append("")
    lines.append(f"Catalogue ({len(status.get('catalogue') or [])} faults):")
    rows: list[tuple[str, ...]] = []
    for entry in status.get("catalogue") or []:
        if not isinstance(entry, Mapping):
            continue
        running = [f for f in active if f.get("fault") == entry.get("id")]
        state = f"active on {', '.join(_label(f) for f in running)}" if running else "-"
        rows.append(
            (
                str(entry.get("id", "")),
                str(entry.get("target_kind", "")),
                str(entry.get("default_target", "")),
                state,
            )
        )
    lines.extend("  " + line for line in _table(("FAULT", "TARGET KIND", "DEFAULT TARGET", "NOW"), rows))
    lines.append("")
    if faults:
        lines.append("Faults started:")
        rows = [
            (
                str(f.get("fault", "")),
                _label(f),
                str(f.get("origin", "")),
                str(f.get("state", "")),
                str(f.get("started_at", ""))[11:19],
                str(f.get("ended_at") or "")[11:19],
                str(f.get("experiment_id", "")),
                str(f.get("note", "")),
            )
            for f in faults
        ]
        headers = ("FAULT", "TARGET", "ORIGIN", "STATE", "STARTED", "ENDED", "EXPERIMENT", "NOTE")
        lines.extend("  " + line for line in _table(headers, rows))
    else:
        lines.append("No fault started yet.")
    schedule = [s for s in status.get("schedule") or [] if isinstance(s, Mapping)]
    if schedule:
        lines.append("")
        lines.append("Schedule (scenario time):")
        rows = [
            (
                _clock(s.get("at_s")),
                str(s.get("fault", "")),
                str(s.get("target") or "(default)"),
                _span(s.get("duration_s")) or "until cleared",
                "started" if s.get("started") else "pending",
            )
            for s in schedule
        ]
        lines.extend("  " + line for line in _table(("AT", "FAULT", "TARGET", "FOR", "STATE"), rows))
    log = [e for e in status.get("log") or [] if isinstance(e, Mapping)]
    if log:
        lines.append("")
        lines.append(f"Log (last {min(LOG_LINES, len(log))}):")
        for entry in log[-LOG_LINES:]:
            when = str(entry.get("at", ""))[11:19]
            lines.append(f"  {when}  {entry.get('text', '')}")
    return "\n".join(lines) + "\n"
