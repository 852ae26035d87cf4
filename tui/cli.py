"""warroom's commands: the console, the demo, the simulator alone, and one-shot JSON snapshots."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui import __version__
from tui.aws.target import AwsTarget
from tui.common.durations import DurationError, parse_duration
from tui.panes import SNAPSHOT_NAMES, pane
from tui.settings import Settings
from tui.sim.account import ACCOUNT_ID, REGION, SIM_ACCESS_KEY, SIM_SECRET_KEY
from tui.sim.commands import (
    add_fault_commands,
    add_org_options,
    add_serve_options,
    check_org_options,
    run_fault_command,
    scenario_from_args,
    speed_from_args,
)

if TYPE_CHECKING:
    from tui.aws.clients import ClientFactory
    from tui.gameday.services import BusinessService

# ``warroom --version`` and ``--help`` import only what builds the parser (about 60 ms over the
# interpreter's own start): each command imports what it runs, inside its function. Importing them
# all here cost every start about 0.9 s before the first line or frame: the AWS SDK and aiohttp
# (tui.aws.clients, 0.45 s), Textual (the console and its themes, 0.35 s), the recordings' and
# the report's readers (0.15 s), moto (0.7 s, inside the simulator's start), asyncio (0.06 s) and
# the log file's handlers with platformdirs (0.05 s).

#: The regions of ``warroom demo --org``'s organization (``tui.sim.org.REGIONS``; a test keeps them equal).
DEMO_ORG_REGIONS = ("us-east-1", "eu-west-1")

#: How long ``warroom demo --attach`` waits for the simulator to answer.
ATTACH_TIMEOUT_S = 5.0
#: ``warroom snapshot accounts --json``: the accounts watched, not a pane.
ACCOUNTS_SNAPSHOT = "accounts"

DESCRIPTION = """\
warroom: a full-screen terminal console for AWS.

Credentials follow the AWS CLI's chain (environment, profiles, SSO, instance roles);
AWS_ENDPOINT_URL is honoured. Keys: ? help, : jump to a pane, 1-9 panes, q quit."""


def _add_aws_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--profile", default=default, help="named profile from ~/.aws/config (as aws --profile)"
    )
    parser.add_argument(
        "--region",
        "--regions",
        dest="regions",
        action=_ExtendRegions,
        nargs="+",
        type=_region_names,
        default=default,
        metavar="REGION",
        help="region(s) to watch: --region R, or several, space or comma separated "
        "(--regions us-east-1,eu-west-1), or the flag repeated (default: the profile's region)",
    )
    parser.add_argument(
        "--accounts",
        dest="accounts",
        action="extend",
        type=_account_scope,
        default=default,
        metavar="ID,NAME",
        help="watch only these accounts (ids or names, comma separated; default: every account known)",
    )
    parser.add_argument(
        "--org",
        dest="read_org",
        action="store_true",
        default=default,
        help="learn the accounts from AWS Organizations (ListAccounts), as its management account or a "
        "delegated administrator",
    )
    parser.add_argument(
        "--account-role",
        default=default,
        metavar="ROLE",
        help="role assumed in each watched account but the credential's own (default warroom-readonly)",
    )
    parser.add_argument(
        "--endpoint-url", default=default, help="send every call to this endpoint (as aws --endpoint-url)"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="refuse every action that changes AWS",
    )


def _region_names(text: str) -> list[str]:
    """``us-east-1,eu-west-1`` -> the region names it lists (one with no comma)."""
    from tui.config import region_names  # read as the config file's value is

    try:
        return list(region_names(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _ExtendRegions(argparse.Action):
    """``--region A B --regions C,D``: every region named, in order, each once."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        regions = list(getattr(namespace, self.dest, None) or [])
        for names in values or ():
            regions += [name for name in names if name not in regions]
        setattr(namespace, self.dest, regions)


def _account_scope(text: str) -> list[str]:
    from tui.config import account_scope  # read as the config file's value is

    try:
        return list(account_scope(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _percent(text: str) -> float:
    from tui.config import percent  # read as the config file's value is

    try:
        return percent(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _scaling_window(text: str) -> tuple[float, int, int]:
    """``0.75:5/5`` -> (0.75, 5, 5): a usage line and M of the last N five-minute points."""
    from tui.config import scaling_window  # read as the config file's value is

    try:
        return scaling_window(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_threshold_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    # No defaults here: a flag not given leaves the config file's value or the default (tui.config).
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--warn-at",
        type=_percent,
        default=default,
        metavar="PCT",
        help="gauges warn at this percentage of the binding limit (default 80)",
    )
    parser.add_argument(
        "--critical-at",
        type=_percent,
        default=default,
        metavar="PCT",
        help="gauges turn critical at this percentage (default 95)",
    )
    parser.add_argument(
        "--scale-up-rule",
        type=_scaling_window,
        default=default,
        metavar="USAGE:M/N",
        help="advise doubling a stream when usage >= USAGE in M of the last N five-minute points"
        " (default 0.75:5/5)",
    )
    parser.add_argument(
        "--scale-down-rule",
        type=_scaling_window,
        default=default,
        metavar="USAGE:M/N",
        help="advise halving a stream when MAX(usage, iterator-age term) < USAGE in M of the last N"
        " five-minute points (default 0.25:57/60)",
    )
    parser.add_argument(
        "--scale-down-block-minutes",
        type=float,
        default=default,
        metavar="MIN",
        help="an iterator age of this many minutes blocks the advice to halve a stream (default 30)",
    )
    parser.add_argument(
        "--updated-by",
        default=default,
        metavar="NAME",
        help="name written as UpdatedBy on finding notes (default: your identity ARN)",
    )
    parser.add_argument(
        "--remediation-role",
        default=default,
        metavar="ROLE",
        help="role assumed in a finding's account to fix it there (default warroom-remediation)",
    )
    parser.add_argument(
        "--tmux-windows",
        action="store_true",
        default=default,
        help="inside tmux, open each Session Manager session in a new tmux window",
    )


def _duration_arg(text: str) -> float:
    try:
        return parse_duration(text, what="--duration")
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_gameday_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--record",
        metavar="FILE",
        default=default,
        help="append every poll snapshot and journal event to FILE (warroom replay / report read it)",
    )
    parser.add_argument(
        "--journal",
        metavar="FILE",
        default=default,
        help="the journal's append-only file (default: a new file under the state directory)",
    )
    parser.add_argument(
        "--services",
        metavar="FILE",
        default=default,
        help="TOML naming the important business services and their impact tolerance",
    )
    parser.add_argument(
        "--note-author",
        metavar="NAME",
        default=default,
        help="who journal notes are from (default: your identity ARN)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warroom", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"warroom {__version__}")
    _add_aws_options(parser)
    parser.add_argument("--theme", help="warroom-dark (default) or warroom-high-contrast")
    _add_threshold_options(parser)
    _add_gameday_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="the console against the embedded simulator (no AWS account needed)")
    demo.add_argument("--seed", type=int, default=7, help="workload seed (same seed, same fleet)")
    demo.add_argument(
        "--attach",
        metavar="URL",
        help="use a simulator already running (the URL warroom sim serve printed) instead of starting one; "
        "its testing keys are sent to that URL only",
    )
    demo.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS, help="refuse changes")
    demo.add_argument("--theme", default=argparse.SUPPRESS, help="theme name")
    _add_threshold_options(demo, suppress=True)
    _add_gameday_options(demo, suppress=True)
    add_serve_options(demo)
    add_org_options(demo)

    sim = sub.add_parser("sim", help="the simulator on its own")
    sim_sub = sim.add_subparsers(dest="sim_command", metavar="SUBCOMMAND", required=True)
    serve = sim_sub.add_parser("serve", help="serve the simulator as a local AWS-compatible endpoint")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    serve.add_argument("--seed", type=int, default=7, help="workload seed")
    serve.add_argument("--empty", action="store_true", help="start with no workload")
    add_serve_options(serve)
    add_org_options(serve)
    add_fault_commands(sim_sub)

    replay = sub.add_parser("replay", help="play a recording back in the console's panes (no AWS calls)")
    replay.add_argument("file", metavar="FILE", help="a file written with --record")
    replay.add_argument(
        "--speed", type=float, default=1.0, help="recorded seconds per second (default 1; < > change it)"
    )
    replay.add_argument(
        "--follow",
        action="store_true",
        help="follow a recording still being written (a watch view of the console writing it): live, "
        "with scrolling back in time; L comes back to live",
    )
    replay.add_argument("--theme", default=argparse.SUPPRESS, help="theme name")

    watch = sub.add_parser(
        "serve",
        help="serve the watch view of a recording being written to browsers (one follower per tab)",
        description="Serve `warroom replay --follow FILE` to browsers: each tab follows the recording "
        "on its own, read-only, with no AWS credentials and no AWS calls. Open the printed address: "
        "it carries the access token, without which every request gets 403.",
    )
    watch.add_argument(
        "--follow",
        metavar="FILE",
        required=True,
        help="the recording a console writes (warroom --record FILE, or warroom record --output FILE)",
    )
    watch.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    watch.add_argument("--port", type=int, default=8800, help="port (default 8800)")
    watch.add_argument(
        "--token",
        default=None,
        help="the access token (default: a new random one); required to bind beyond 127.0.0.1",
    )
    watch.add_argument(
        "--url", default=None, help="the address browsers use, when not http://HOST:PORT (a proxy)"
    )
    watch.add_argument("--theme", default=argparse.SUPPRESS, help="theme name")

    report = sub.add_parser("report", help="write the lessons-learned review of a recording or a journal")
    report.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        help="a recording (--record) or a journal file; several (one per console) are merged",
    )
    report.add_argument("--format", choices=("md", "html"), default="md", help="md (default) or html")
    report.add_argument("--output", metavar="PATH", help="write here instead of standard output")

    rec = sub.add_parser(
        "record", help="record every pane's polls for a while, with no screen (replay and report read it)"
    )
    rec.add_argument("--output", metavar="FILE", required=True, help="the recording to write (appended to)")
    rec.add_argument(
        "--duration",
        type=_duration_arg,
        default=600.0,
        metavar="DURATION",
        help="how long to record: 90s, 10m, 1h30m (default 10m)",
    )
    rec.add_argument("--demo", action="store_true", help="record a fresh embedded simulator")
    rec.add_argument("--seed", type=int, default=7, help="workload seed with --demo")
    _add_aws_options(rec, suppress=True)
    _add_threshold_options(rec, suppress=True)
    rec.add_argument("--journal", metavar="FILE", default=argparse.SUPPRESS, help="the journal's file")
    rec.add_argument(
        "--services", metavar="FILE", default=argparse.SUPPRESS, help="TOML of the business services"
    )
    config = sub.add_parser(
        "config",
        help="the config file: where it is, the settings in force and where each comes from, a check",
    )
    config_sub = config.add_subparsers(dest="config_command", metavar="SUBCOMMAND", required=True)
    config_sub.add_parser("path", help="print the config file's path (WARROOM_CONFIG overrides it)")
    show = config_sub.add_parser(
        "show",
        help="print every setting in force and where it comes from (default, file, environment, flag), "
        "and every action's key",
    )
    _add_aws_options(show, suppress=True)
    show.add_argument("--theme", default=argparse.SUPPRESS, help="theme name")
    _add_threshold_options(show, suppress=True)
    _add_gameday_options(show, suppress=True)
    config_sub.add_parser("check", help="check the config file and its key map; exit 1 with what is wrong")

    snap = sub.add_parser(
        "snapshot",
        help="one poll of a pane, printed as JSON",
        description="One poll of a pane, printed as JSON on stdout (exit 1 when the poll failed). "
        "Every item says where it is: account_id and region. It polls the credential's own account "
        "in each region of --region/--regions (default: the profile's region). With --org (the "
        "accounts of AWS Organizations), the config file's [[accounts]], or --accounts (only these, "
        "ids or names, comma separated; an id listed nowhere is reached through --account-role), it "
        "polls every account reached in each of those regions; one that cannot be reached is left "
        "out, and `warroom snapshot accounts --json` says why. README.md lists each document's keys.",
    )

    snap.add_argument(
        "pane",
        choices=sorted({*SNAPSHOT_NAMES, ACCOUNTS_SNAPSHOT}),
        help="which pane's data (accounts: the accounts watched and whether each is reached)",
    )
    snap.add_argument("--json", action="store_true", required=True, help="print JSON (the only format)")
    snap.add_argument("--demo", action="store_true", help="poll a fresh embedded simulator")
    snap.add_argument("--seed", type=int, default=7, help="workload seed with --demo")
    _add_aws_options(snap, suppress=True)
    _add_threshold_options(snap)
    return parser


def _config_file(*, console: bool) -> Any:
    """The config file, refused as a whole when anything in it is wrong (``tui.config``). For a
    console its theme and key map are checked too; its services file always."""
    from tui import config  # for start-up time: see the note at the top

    loaded = config.load()
    if loaded.refused:
        return loaded
    from tui.gameday.services import load_services  # see the note at the top

    problems = config.check_services(loaded, load_services)
    if console:
        from themes import THEMES  # for start-up time: see the note at the top
        from tui.app import WarroomApp
        from tui.keys import check

        problems += config.check_theme(loaded, [t.name for t in THEMES])
        problems += check(loaded, WarroomApp)
    return loaded.refuse(problems)


def _settings(args: argparse.Namespace, *, console: bool = False, **overrides: Any) -> Settings:
    """The settings of a command: the defaults, the config file, the environment, then its flags;
    ``overrides`` are the command's own (a simulator's target, a recording's path)."""
    from tui import config  # for start-up time: see the note at the top

    loaded = _config_file(console=console)
    values: dict[str, Any] = {"read_only": bool(getattr(args, "read_only", False)), "watch_all": True}
    for option, key in (("record", "record_path"), ("journal", "journal_path")):
        given = getattr(args, option, None)
        if given:
            values[key] = Path(given).expanduser()
    values.update(overrides)
    try:
        resolved = config.resolve(loaded, vars(args))
        return config.build(resolved, loaded, endpoint_url=getattr(args, "endpoint_url", None), **values)
    except ValueError as exc:
        raise SystemExit(f"warroom: {exc}") from None


def _load_services(path: Path) -> tuple[BusinessService, ...]:
    from tui.gameday.services import load_services  # see the note at the top

    try:
        return load_services(path)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"warroom: services {path}: {exc}") from None


def _services(settings: Settings) -> tuple[BusinessService, ...]:
    """The business services of ``--services FILE`` or the config file (none without either); a bad
    file named by the flag ends the command (one named by the config file has refused it)."""
    return () if settings.services_path is None else _load_services(settings.services_path)


def _warn(settings: Settings) -> None:
    """A command with no screen says on stderr why the config file was refused."""
    for warning in settings.warnings:
        print(f"warroom: {warning}; the defaults are in force", file=sys.stderr)


def _sim_target(endpoint_url: str) -> AwsTarget:
    return AwsTarget(
        regions=(REGION,), endpoint_url=endpoint_url, access_key=SIM_ACCESS_KEY, secret_key=SIM_SECRET_KEY
    )


def _check_theme(settings: Settings) -> None:
    from themes import THEMES  # see the note at the top

    names = [t.name for t in THEMES]
    if settings.theme not in names:
        raise SystemExit(f"warroom: unknown theme {settings.theme!r}; choose one of {', '.join(names)}")


def run_console(args: argparse.Namespace) -> int:
    from tui.common import splash

    # The first frame, before the console's imports (about 1 s): see tui.common.splash.
    painted = splash.paint("warroom", "reading identity…")
    running = False
    try:
        from tui.app import make_app  # see the note at the top
        from tui.common import logs, runtime

        logs.configure()
        runtime.tune_gc()
        settings = _settings(args, console=True)
        _check_theme(settings)
        app = make_app(settings, services=_services(settings))
        running = True
        app.run()
    finally:
        if painted and not running:
            splash.leave()
    return 0


def _start_sim(server: Any) -> Any:
    """Start the simulator; a scenario it cannot run (a target the workload lacks) or a port in
    use ends the command with one line, not a traceback."""
    try:
        return server.start()
    except ValueError as exc:
        server.stop()
        raise SystemExit(f"warroom: the scenario cannot run: {exc}") from None
    except OSError as exc:
        raise SystemExit(f"warroom: the simulator cannot start: {exc.strerror or exc}") from None


def _reserve_sim(server: Any) -> str:
    """The simulator's endpoint, its port bound at once: a port in use ends the command here."""
    try:
        return str(server.reserve())
    except OSError as exc:
        raise SystemExit(f"warroom: the simulator cannot start: {exc.strerror or exc}") from None


def _demo_settings(args: argparse.Namespace, endpoint_url: str) -> Settings:
    """The demo console's settings against the simulator at ``endpoint_url``."""
    from tui.common import paths
    from tui.sim.standin_plugin import write_launcher  # see the note at the top

    # Only the demo runs the stand-in plugin (labelled as simulated); every other console runs
    # the session-manager-plugin found on PATH.
    plugin = write_launcher(paths.state_dir() / "demo-plugin")
    target = _sim_target(endpoint_url)
    extra: dict[str, Any] = {}
    if getattr(args, "org", False):
        # The console learns the organization from Organizations, as with --org on AWS, and watches
        # both of its regions, as --region us-east-1 --region eu-west-1 would.
        target = dataclasses.replace(target, regions=DEMO_ORG_REGIONS)
        extra["accounts"] = dataclasses.replace(_settings(args).accounts, read_org=True)
    settings = _settings(args, console=True, target=target, demo=True, session_plugin=str(plugin), **extra)
    _check_theme(settings)
    return settings


def _attached(url: str) -> str:
    """``--attach URL`` checked: the simulator's testing keys go only to a warroom simulator that answers."""
    from tui.sim.control import ControlClient, ControlError  # see the note at the top

    url = url.strip().rstrip("/")
    try:
        ControlClient(url, timeout=ATTACH_TIMEOUT_S).status()
    except ControlError as exc:
        raise SystemExit(f"warroom: --attach {url}: {exc}") from None
    return url


def run_demo(args: argparse.Namespace) -> int:
    """The console against a simulator: its frame is painted first, and the simulator (moto's import
    and the workload's seeding, several seconds) starts behind it, in a process of its own (a
    thread where fork is unavailable), while the console is imported and drawn; the console says
    how the start goes, and its calls wait until the simulator answers."""
    from tui.common import splash

    attach = getattr(args, "attach", None)
    if attach and (getattr(args, "scenario", None) or getattr(args, "speed", None) is not None):
        raise SystemExit(
            "warroom: --scenario and --speed belong to the simulator: give them to warroom sim serve"
        )
    if attach and (getattr(args, "org", False) or getattr(args, "fleet", None) is not None):
        raise SystemExit("warroom: --org and --fleet belong to the simulator: give them to warroom sim serve")
    if not attach:
        check_org_options(args)
    scenario = None if attach else scenario_from_args(args)
    painted = splash.paint("warroom · DEMO", "starting the simulator…")
    running = False
    sim: Any = None
    child: Any = None
    try:
        from tui.common import logs, runtime
        from tui.common.startup import Startup

        logs.configure()
        runtime.tune_gc()
        startup = None
        if attach:
            url = _attached(attach)
        else:
            from tui.sim.server import SimServer  # see the note at the top

            sim = SimServer(
                seed=args.seed,
                scenario=scenario,
                speed=speed_from_args(args),
                identity_first=True,
                org=bool(getattr(args, "org", False)),
                fleet=getattr(args, "fleet", None),
            )
            url = _reserve_sim(sim)
            from tui.sim.child import SimChild, can_fork

            if can_fork():
                # Its own process, forked before any thread: see tui.sim.child.
                child = SimChild.fork(sim, lambda: _start_sim(sim))
                startup = Startup("starting the simulator", child.follow).start()
            else:

                def start(startup: Startup) -> Any:
                    sim.progress, sim.listening = startup.step, startup.reachable
                    return _start_sim(sim)

                startup = Startup("starting the simulator", start).start()
        from tui.app import make_app  # see the note at the top
        from tui.gameday.services import default_demo_services

        # The demo's console times the fictional platform's services unless --services names others
        # (the config file's services are the real account's).
        given = getattr(args, "services", None)
        services = _load_services(Path(given).expanduser()) if given else default_demo_services()
        app = make_app(_demo_settings(args, url), services=services, startup=startup)
        running = True
        app.run()
        return app.return_code or 0
    finally:
        if painted and not running:
            splash.leave()
        if child is not None:
            child.stop()
        elif sim is not None:
            sim.stop()


def serve_banner(url: str, workload: str, account: str, region: str) -> str:
    """What ``warroom sim serve`` prints on stderr: commands that work on a machine without AWS
    credentials (the simulator's keys are not secrets, and are given for this endpoint only)."""
    keys = f"AWS_ACCESS_KEY_ID={SIM_ACCESS_KEY} AWS_SECRET_ACCESS_KEY={SIM_SECRET_KEY}"
    return (
        f"# warroom simulator ({workload}), account {account}, region {region}\n"
        f"# console:  warroom demo --attach {url}\n"
        f"#       or: {keys} warroom --endpoint-url {url} --region {region}\n"
        f"# AWS CLI:  {keys} aws --endpoint-url {url} --region {region} ec2 describe-instances\n"
        "# Ctrl+C stops it."
    )


def org_summary(workload: Any, seed: int) -> str:
    """The organization a simulator holds, in a few words (``tui.sim.org.OrgWorkload``)."""
    from tui.sim import org  # the simulator's own command: the console never imports it

    return (
        f"organization {workload.organization_id}: {len(org.ACCOUNTS)} accounts, {len(org.REGIONS)} regions, "
        f"{workload.instance_count} instances, seed {seed}"
    )


def org_banner(url: str, workload: Any) -> str:
    """What ``warroom sim serve --org`` adds to its banner: the accounts, and how to read one."""
    from tui.sim import org  # the simulator's own command: the console never imports it

    keys = f"AWS_ACCESS_KEY_ID={SIM_ACCESS_KEY} AWS_SECRET_ACCESS_KEY={SIM_SECRET_KEY}"
    lines = ["# accounts:"]
    for account in org.ACCOUNTS:
        if account is org.MANAGEMENT:
            role = "management account"
        elif account is org.SECURITY_TOOLING:
            role = "the simulator's keys; delegated administrator"
        elif not account.readable:
            role = f"no {org.READ_ROLE} role: AssumeRole is denied"
        else:
            role = "workload" if account.workload else "member"
        lines.append(f"#   {account.account_id}  {account.name:<17} {role}")
    example = org.PAYMENTS_PROD.account_id
    lines.append(
        f"# read one: {keys} aws --endpoint-url {url} --region {org.HOME_REGION} sts assume-role "
        f"--role-arn arn:aws:iam::{example}:role/{org.READ_ROLE} --role-session-name warroom"
    )
    return "\n".join(lines)


def run_sim_serve(args: argparse.Namespace) -> int:
    from tui.common import logs
    from tui.sim.server import SimServer  # see the note at the top

    logs.configure()
    check_org_options(args)
    scenario = scenario_from_args(args)
    org = bool(getattr(args, "org", False))
    sim = _start_sim(
        SimServer(
            host=args.host,
            port=args.port,
            seed=args.seed,
            empty=args.empty,
            scenario=scenario,
            speed=speed_from_args(args),
            org=org,
            fleet=getattr(args, "fleet", None),
        )
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    url = sim.endpoint_url
    workload = "empty" if args.empty else f"payments platform, seed {args.seed}"
    if org:
        workload = org_summary(sim.workload, args.seed)
    print(url, flush=True)
    print(serve_banner(url, workload, ACCOUNT_ID, REGION), file=sys.stderr, flush=True)
    if org:
        print(org_banner(url, sim.workload), file=sys.stderr, flush=True)
    if scenario is not None:
        speed = sim.effective_speed
        total = scenario.duration_s
        print(
            f"# scenario {scenario.name!r}: {len(scenario.faults)} fault(s) over {total / 60:.0f} scenario "
            f"minutes at speed {speed:g} ({total / speed / 60:.1f} wall minutes); follow it with "
            f"`warroom sim faults --endpoint-url {url}` or the console's Facilitator pane (8)",
            file=sys.stderr,
            flush=True,
        )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
    return 0


async def _snapshot(settings: Settings, pane: str) -> Any:
    from tui.aws.clients import ClientFactory  # see the note at the top
    from tui.context import utc_clock
    from tui.panes import one_poll

    factory = ClientFactory(settings.target)
    try:
        if not settings.accounts.single:
            # --org or --accounts (or the config file's list): every account reached, in each
            # region, as the console would poll them; an account that cannot be reached is left out
            # here (``warroom snapshot accounts`` says why).
            from tui.aws.accounts import AccountDirectory

            directory = AccountDirectory(factory, settings.accounts)
            async for _ in directory.check_all():
                pass
            factory.set_places(directory.view().places())
        else:
            await _name_own_account(factory)
        # The settings carry the command line's thresholds and Kinesis scaling rule.
        return await one_poll(pane, factory, settings, utc_clock)
    finally:
        await factory.close()


async def _name_own_account(factory: ClientFactory) -> None:
    """The credential's own account, named in each region's place, so that every item of the
    document says its account (``account_id``) as it does when several accounts are watched. When
    sts:GetCallerIdentity fails the places stay unnamed (the items' ``account_id`` is null) and the
    poll says what failed."""
    from tui.aws.identity import caller_identity  # see the note at the top
    from tui.aws.scope import Place

    try:
        identity = await caller_identity(factory)
    except Exception:  # the poll meets the same failure and reports it
        return
    factory.set_places(Place(place.region, identity.account) for place in factory.places)


async def _accounts_snapshot(settings: Settings) -> dict[str, Any]:
    """The accounts watched, each checked in each region (``tui.aws.accounts``), as JSON data."""
    from tui.aws.accounts import AccountDirectory  # see the note at the top
    from tui.aws.clients import ClientFactory

    factory = ClientFactory(settings.target)
    try:
        directory = AccountDirectory(factory, settings.accounts)
        async for _ in directory.check_all():
            pass
        return directory.view().document()
    finally:
        await factory.close()


def run_record(args: argparse.Namespace) -> int:
    """``warroom record``: every pane's feed to a recording for ``--duration``, no screen."""
    import asyncio

    from tui.common import logs
    from tui.context import utc_clock
    from tui.headless import record  # see the note at the top
    from tui.sim.server import SimServer

    logs.configure()
    output = Path(args.output).expanduser()
    sim = None
    settings = _settings(args, record_path=output)
    _warn(settings)
    services = _services(settings)
    if args.demo:
        sim = _start_sim(SimServer(seed=args.seed, live=True))
        settings = dataclasses.replace(settings, target=_sim_target(sim.endpoint_url), demo=True)
    try:
        asyncio.run(record(settings, duration_s=args.duration, clock=utc_clock, services=services))
    except KeyboardInterrupt:
        print(f"warroom record: stopped; the recording in {output} is complete up to here", file=sys.stderr)
    except OSError as exc:
        print(f"warroom record: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        if sim is not None:
            sim.stop()
    return 0


def _snapshot_backfill(name: str) -> timedelta | None:
    """The metric history one poll of pane ``name`` reads, which is all ``snapshot --demo`` has the
    simulator write (None: all of it, 3 h). Seeding wrote 3 h for every pane, about 0.5 s of a
    snapshot's 6 s, though only Limits and Kinesis read metrics: Limits its last hour, Kinesis up to
    its scaling rule's history."""
    if name == ACCOUNTS_SNAPSHOT:
        return timedelta(minutes=1)
    found = pane(name)
    if not found.metrics:
        return timedelta(minutes=1)
    if found.name == "limits":
        from tui.aws.limits import BACKFILL_S

        return timedelta(seconds=BACKFILL_S) + timedelta(minutes=5)
    return None


def run_snapshot(args: argparse.Namespace) -> int:
    import asyncio

    from tui.aws.documents import document  # see the note at the top
    from tui.common import logs, paths
    from tui.common.codec import pretty
    from tui.sim.server import SimServer
    from tui.sim.standin_plugin import write_launcher

    logs.configure()
    sim = None
    if args.demo:
        sim = SimServer(seed=args.seed, live=False, backfill=_snapshot_backfill(args.pane)).start()
        # Only the demo runs the stand-in plugin (labelled as simulated); every other console runs
        # the session-manager-plugin found on PATH.
        plugin = write_launcher(paths.state_dir() / "demo-plugin")
        settings = _settings(
            args, target=_sim_target(sim.endpoint_url), demo=True, session_plugin=str(plugin)
        )
    else:
        settings = _settings(args)
    _warn(settings)
    try:
        if args.pane == ACCOUNTS_SNAPSHOT:
            accounts = asyncio.run(_accounts_snapshot(settings))
            sys.stdout.write(pretty(accounts) + "\n")
            return 1 if accounts["error"] is not None else 0
        snapshot = asyncio.run(_snapshot(settings, args.pane))
    finally:
        if sim is not None:
            sim.stop()
    sys.stdout.write(pretty(document(snapshot)) + "\n")
    return 1 if getattr(snapshot, "error", None) is not None else 0


def run_replay(args: argparse.Namespace) -> int:
    from tui.app import make_replay_app  # see the note at the top
    from tui.common import logs
    from tui.gameday.record import RecordingTail, read_recording
    from tui.gameday.replay import Playback
    from tui.replaying import ReplayDriver

    logs.configure()
    if args.speed <= 0:
        raise SystemExit("warroom: --speed must be above 0")
    path = Path(args.file).expanduser()
    follow = bool(getattr(args, "follow", False))
    tail = RecordingTail(path) if follow else None
    try:
        if tail is not None:
            # What is written so far; the driver reads on as the writer appends.
            playback = Playback(tail.read(), speed=args.speed, follow=True)
            recording = tail.recording
        else:
            recording = read_recording(path)
            playback = Playback(recording.entries, speed=args.speed)
    except (OSError, ValueError) as exc:
        # As `warroom report` says it, with the same status.
        print(f"warroom: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    for problem in recording.problems[:5]:
        print(f"warroom: {args.file}: {problem}", file=sys.stderr)
    meta = recording.header.get("meta") if isinstance(recording.header, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    regions = tuple(r for r in str(meta.get("regions", "")).split(",") if r)
    settings = _settings(args, console=True, target=AwsTarget(regions=regions or ("recorded",)))
    settings = _replay_settings(settings, meta)
    _check_theme(settings)
    driver = ReplayDriver(playback, source=str(args.file), tail=tail)
    make_replay_app(settings, driver).run()
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """``warroom serve --follow FILE``: the watch view in browsers (``tui.serve``)."""
    from tui.gameday.record import RecordingTail
    from tui.serve import ServeError, check_exposure, serve

    path = Path(args.follow).expanduser().resolve()
    try:
        check_exposure(args.host, args.token)
        RecordingTail(path).read()  # a file that is not a recording is refused now, not per tab
    except ServeError as exc:
        print(f"warroom serve: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"warroom serve: cannot follow {args.follow}: {exc}", file=sys.stderr)
        return 2
    if not 0 < args.port < 65536:
        print(f"warroom serve: --port {args.port} is not a port (1-65535)", file=sys.stderr)
        return 2
    try:
        serve(
            path,
            host=args.host,
            port=args.port,
            token=args.token,
            theme=getattr(args, "theme", None),
            url=args.url.rstrip("/") if args.url else None,
        )
    except OSError as exc:
        reason = exc.strerror or exc
        print(f"warroom serve: cannot serve on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 2
    return 0


def _replay_settings(settings: Settings, meta: dict[str, Any]) -> Settings:
    return dataclasses.replace(settings, demo=meta.get("demo") == "yes", record_path=None)


def run_report(args: argparse.Namespace) -> int:
    # See the note at the top.
    from tui.gameday.record import merge_recordings, read_recording
    from tui.gameday.report import CHART_PANES, analyse, render_html, render_markdown

    recordings = []
    for name in args.files:
        try:
            recordings.append(read_recording(Path(name).expanduser(), panes=CHART_PANES))
        except (OSError, ValueError) as exc:
            print(f"warroom: cannot read {name}: {exc}", file=sys.stderr)
            return 2
    recording = merge_recordings(recordings)
    review = analyse(recording)
    text = render_html(review) if args.format == "html" else render_markdown(review)
    for problem in recording.problems[:5]:
        print(f"warroom: {problem}", file=sys.stderr)
    if args.output:
        out = Path(args.output).expanduser()
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"warroom: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"warroom: wrote the review to {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def run_config(args: argparse.Namespace) -> int:
    """``warroom config path|show|check``."""
    if args.config_command == "path":
        from tui.common import paths

        print(paths.config_file())
        return 0
    # For start-up time: see the note at the top (the key map needs the console's screens).
    from tui import config
    from tui.app import WarroomApp
    from tui.keys import describe

    loaded = _config_file(console=True)
    if args.config_command == "show":
        lines = [f"# {problem}" for problem in loaded.problems]
        lines += config.describe(loaded, config.resolve(loaded, vars(args)))
        lines += describe(loaded, WarroomApp)
        sys.stdout.write("\n".join(lines) + "\n")
        return 0
    if loaded.problems:
        sys.stdout.write("".join(f"{problem}\n" for problem in loaded.problems))
        print(
            f"warroom: {loaded.name} is refused: the console runs on the defaults until it is fixed",
            file=sys.stderr,
        )
        return 1
    if not loaded.found:
        print(f"{loaded.name}: no config file; the defaults are in force (warroom config show)")
    else:
        print(f"{loaded.name}: OK")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        return run_demo(args)
    if args.command == "sim":
        if args.sim_command != "serve":
            return run_fault_command(args)
        return run_sim_serve(args)
    if args.command == "replay":
        return run_replay(args)
    if args.command == "report":
        return run_report(args)
    if args.command == "serve":
        return run_serve(args)
    if args.command == "snapshot":
        return run_snapshot(args)
    if args.command == "record":
        return run_record(args)
    if args.command == "config":
        return run_config(args)
    return run_console(args)


if __name__ == "__main__":
    raise SystemExit(main())
