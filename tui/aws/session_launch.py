"""Opening a Session Manager session the way the AWS CLI does, without any UI.

``aws ssm start-session`` calls StartSession through the SDK, then runs ``session-manager-plugin``
with ``[plugin, response-or-env-name, region, "StartSession", profile or "", request-json,
endpoint-url]``. A plugin newer than 1.2.497.0 reads the response (SessionId, TokenValue, StreamUrl)
from the environment variable named in argv[1]; an older one takes the JSON itself there. While the
plugin runs, the keyboard's signals (Ctrl+C, Ctrl+\\, Ctrl+Z) belong to the session, not to this
process. When the plugin cannot be started, the session just opened is terminated by the caller
(``SessionLauncher.terminate``), as the CLI does.

A target of another account (``SessionRequest.place``) opens there, as the AWS CLI run with that
account's credentials would: StartSession (and TerminateSession) as the account's role, or with its
profile, in the target's region. The plugin of a role's session gets the role's temporary keys in its
environment (``CREDENTIAL_ENV``, as ``AWS_ACCESS_KEY_ID=... aws ssm start-session`` hands them down)
and no profile; that of a profile's session gets the profile's name, as the CLI passes its --profile.

The session token (TokenValue), the StreamUrl and a role's keys live in memory only, for the
plugin: the audit log gets the StartSession record with the first two redacted
(``actions.audit.scrub``) and a SessionEnded record that keeps the SessionId alone; a tmux window
receives them over a private unix socket, never on a command line or in a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType
from typing import Any

from tui.aws.actions.audit import FIELDS
from tui.aws.actions.core import (
    ActionResult,
    ActionRunner,
    ApiCall,
    Plan,
    account_words,
    in_place,
    titled_in,
    via_words,
)
from tui.aws.clients import ClientFactory
from tui.aws.errors import AwsProblem, ErrorKind, classify
from tui.aws.outcome import utcnow
from tui.aws.scope import Place
from tui.aws.sessions import ManagedTarget

log = logging.getLogger(__name__)

PLUGIN_NAME = "session-manager-plugin"
#: The newest plugin version that still takes the StartSession response in argv (the AWS CLI's
#: LAST_PLUGIN_VERSION_WITHOUT_ENV_VAR); newer ones read it from ``RESPONSE_ENV``.
LAST_VERSION_WITHOUT_ENV = (1, 2, 497, 0)
RESPONSE_ENV = "AWS_SSM_START_SESSION_RESPONSE"
VERSION_TIMEOUT_S = 5.0
RESPONSE_KEYS = ("SessionId", "TokenValue", "StreamUrl")

SHELL_DOCUMENT = "SSM-SessionManagerRunShell"
PORT_FORWARD = "AWS-StartPortForwardingSession"
REMOTE_PORT_FORWARD = "AWS-StartPortForwardingSessionToRemoteHost"
SSH = "AWS-StartSSHSession"

#: The session documents the console launches and the parameters each takes. ``None`` is the
#: shell: StartSession without DocumentName runs SSM-SessionManagerRunShell.
DOCUMENTS: dict[str | None, tuple[str, ...]] = {
    None: (),
    PORT_FORWARD: ("portNumber", "localPortNumber"),
    REMOTE_PORT_FORWARD: ("host", "portNumber", "localPortNumber"),
    SSH: ("portNumber",),
}
DOCUMENT_TITLES: dict[str | None, str] = {
    None: "shell",
    PORT_FORWARD: "port forwarding",
    REMOTE_PORT_FORWARD: "remote host port forwarding",
    SSH: "SSH",
}
REQUIRED_PARAMETERS: dict[str | None, tuple[str, ...]] = {REMOTE_PORT_FORWARD: ("host",)}
REASON_LIMIT = 256
HOST_LIMIT = 253
_DOCUMENT_NAME = re.compile(r"^[a-zA-Z0-9_\-.:/]{3,128}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

INSTALL_DOCS = "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"
_DOWNLOADS = "https://s3.amazonaws.com/session-manager-downloads/plugin/latest"
INSTALL_HINT = (
    f"Install the Session Manager plugin ({INSTALL_DOCS}):\n"
    "  Debian/Ubuntu: curl -o session-manager-plugin.deb"
    f" {_DOWNLOADS}/ubuntu_64bit/session-manager-plugin.deb"
    " && sudo dpkg -i session-manager-plugin.deb   (ubuntu_arm64 on ARM)\n"
    f"  Amazon Linux/RHEL/Fedora: sudo yum install -y {_DOWNLOADS}/linux_64bit/session-manager-plugin.rpm"
    "   (linux_arm64 on ARM)\n"
    "  macOS: brew install --cask session-manager-plugin\n"
    "It is not on PyPI nor in Debian; then check with: session-manager-plugin --version"
)

#: How long a new tmux window may take to collect the plugin's argv and environment.
WINDOW_CONNECT_TIMEOUT_S = 15.0
WINDOW_PAYLOAD_LIMIT = 1 << 20


# ---------------------------------------------------------------------------------------------
# The StartSession plan
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRequest:
    """What to open: ``document`` None is a shell; ``parameters`` values are lists of strings.

    ``place``: the target's account in its region, as the console reaches it (``tui.aws.scope``):
    StartSession runs there, as its role or with its profile, and so does the plugin. None (or the
    credential's own account): the console's credential, as the AWS CLI run with it."""

    target: str
    region: str
    document: str | None
    parameters: Mapping[str, list[str]] = field(default_factory=dict)
    reason: str = ""
    place: Place | None = None

    @property
    def elsewhere(self) -> Place | None:
        """The place of another account than the credential's it opens in, else None."""
        return self.place if self.place is not None and not self.place.home else None


def start_parameters(req: SessionRequest) -> dict[str, Any]:
    """StartSession's parameters for ``req``, exactly as sent (and as handed to the plugin)."""
    params: dict[str, Any] = {"Target": req.target}
    if req.document:
        params["DocumentName"] = req.document
    if req.parameters:
        params["Parameters"] = {name: list(values) for name, values in req.parameters.items()}
    if req.reason:
        params["Reason"] = req.reason
    return params


def _port_problem(name: str, value: str, *, lowest: int) -> str:
    if not value.isascii() or not value.isdigit() or not lowest <= int(value) <= 65535:
        return f"{name} {value!r} is not a port number ({lowest}-65535)"
    return ""


def _host_problem(value: str) -> str:
    if not value:
        return "host is required: the remote host the instance forwards to"
    if len(value) > HOST_LIMIT or any(c.isspace() for c in value) or _CONTROL.search(value):
        return f"host {value!r} is not a host name or address"
    return ""


def request_problem(req: SessionRequest) -> str:
    """Why StartSession must not be called for ``req`` ("" when it may)."""
    if not req.target:
        return "no target instance"
    if not req.region:
        return "no region"
    document = req.document
    if document is not None and not _DOCUMENT_NAME.match(document):
        return f"{document!r} is not a document name"
    kind = None if document == SHELL_DOCUMENT else document
    known = DOCUMENTS.get(kind)
    values: dict[str, str] = {}
    for name, given in req.parameters.items():
        if known is not None and name not in known:
            return f"{DOCUMENT_TITLES[kind]} sessions take no parameter {name!r}"
        if not isinstance(given, list) or len(given) != 1 or not isinstance(given[0], str):
            return f"parameter {name!r} takes exactly one string value"
        values[name] = given[0]
    for name in REQUIRED_PARAMETERS.get(kind, ()):
        if name not in values:
            return _host_problem("") if name == "host" else f"{name} is required"
    for name, value in values.items():
        if name == "portNumber":
            problem = _port_problem(name, value, lowest=1)
        elif name == "localPortNumber":
            problem = _port_problem(name, value, lowest=0)
        elif name == "host":
            problem = _host_problem(value)
        else:
            problem = ""
        if problem:
            return problem
    if len(req.reason) > REASON_LIMIT:
        return f"the reason is {len(req.reason)} characters; Session Manager takes at most {REASON_LIMIT}"
    if _CONTROL.search(req.reason):
        return "the reason must be one line of text"
    return ""


def _title(req: SessionRequest) -> str:
    kind = None if req.document == SHELL_DOCUMENT else req.document
    return DOCUMENT_TITLES.get(kind, req.document or "shell")


def session_place_note(place: Place) -> str:
    """The plan's note saying in which account the session opens, and what the plugin is given."""
    where = f"In account {account_words(place)}, {place.region}"
    if place.role_arn:
        return (
            f"{where}: StartSession runs as {place.role_arn}, assumed first (sts:AssumeRole); the "
            "plugin gets that role's keys in its environment (never shown nor written) and no "
            "profile, so it ends the session in that account."
        )
    return (
        f"{where}: StartSession runs with profile {place.profile}, and the plugin is given that "
        "profile, as the AWS CLI gives it its --profile."
    )


def start_plan(req: SessionRequest) -> Plan:
    """The one StartSession call opening ``req`` in the target's account, or a refusal saying why it
    must not be made."""
    title = _title(req)
    details = ", ".join(f"{name}={values[0] if values else ''}" for name, values in req.parameters.items())
    notes = ["The session token in the answer stays in memory: it is never logged nor written."]
    away = req.elsewhere
    if away is not None:
        notes.insert(0, session_place_note(away))
    return Plan(
        title=titled_in(
            f"Start a {title} session on {req.target}",
            (away.account_name or away.account_id) if away else "",
        ),
        why=(
            f"Session Manager opens a {title} session"
            + (f" ({details})" if details else "")
            + " and session-manager-plugin takes over this terminal until it ends."
        ),
        calls=(in_place(ApiCall("ssm", "StartSession", req.region, start_parameters(req)), req.place),),
        refusal=request_problem(req),
        notes=tuple(notes),
        key=f"ssm:{req.region}:{req.target}",
    )


def terminate_plan(session_id: str, region: str, place: Place | None = None) -> Plan:
    """The one TerminateSession call ending ``session_id``, in the account it was opened in
    (``place``: that account in ``region``, as the console reaches it; None: the credential's own)."""
    away = place if place is not None and not place.home else None
    return Plan(
        title=titled_in(
            f"Terminate session {session_id}", (away.account_name or away.account_id) if away else ""
        ),
        why="It ends the session for good: its plugin and the agent side are disconnected.",
        calls=(in_place(ApiCall("ssm", "TerminateSession", region, {"SessionId": session_id}), place),),
        notes=(f"In account {account_words(away)}, {region}, {via_words(away)}.",) if away else (),
        key=f"ssm:{region}:{session_id}",
    )


# ---------------------------------------------------------------------------------------------
# The plugin
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plugin:
    """An executable session-manager-plugin and the version it reports (None when unreadable)."""

    path: str
    version: str | None


_VERSION = re.compile(r"\d+(?:\.\d+)+")


def plugin_version(path: str, *, timeout: float = VERSION_TIMEOUT_S) -> str | None:
    """What ``<path> --version`` prints, or None when it cannot be run or says nothing usable."""
    try:
        done = subprocess.run(
            [path, "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.debug("%s --version failed: %s", path, exc)
        return None
    match = _VERSION.search(done.stdout or "")
    return match.group(0) if match else None


def find_plugin(explicit: str | None = None, path: str | None = None) -> Plugin | None:
    """The plugin at ``explicit`` (a path or a command name), else ``session-manager-plugin`` on
    ``path`` (default: PATH); None when it is not an executable file. Never raises."""
    wanted = os.path.expanduser(explicit) if explicit else PLUGIN_NAME
    try:
        found = shutil.which(wanted, path=path)
    except (OSError, ValueError) as exc:
        log.debug("looking for %s failed: %s", wanted, exc)
        return None
    if found is None or not os.path.isfile(found):
        return None
    resolved = os.path.abspath(found)
    return Plugin(resolved, plugin_version(resolved))


def _version_tuple(version: str) -> tuple[int, ...] | None:
    match = _VERSION.search(version)
    return tuple(int(part) for part in match.group(0).split(".")) if match else None


def uses_env_response(version: str | None) -> bool:
    """Whether a plugin of ``version`` reads the StartSession response from ``RESPONSE_ENV``
    (versions above 1.2.497.0, compared number by number; unknown versions do not)."""
    if not version:
        return False
    parts = _version_tuple(version)
    if parts is None:
        return False
    width = max(len(parts), len(LAST_VERSION_WITHOUT_ENV))
    padded = parts + (0,) * (width - len(parts))
    limit = LAST_VERSION_WITHOUT_ENV + (0,) * (width - len(LAST_VERSION_WITHOUT_ENV))
    return padded > limit


#: The environment variables through which the plugin gets an assumed role's credentials: those the
#: AWS CLI run as ``AWS_ACCESS_KEY_ID=... aws ssm start-session`` hands down to it.
CREDENTIAL_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def plugin_profile(place: Place | None, console_profile: str | None) -> str | None:
    """The profile the plugin is given, as the AWS CLI gives it its ``--profile``: a profile place's
    own; none for a role place (its credentials are in the environment); the console's --profile in
    the credential's own account."""
    if place is None or place.home:
        return console_profile
    return place.profile


def plugin_invocation(
    plugin: Plugin,
    response: Mapping[str, Any],
    region: str,
    profile: str | None,
    request: Mapping[str, Any],
    endpoint_url: str,
    credentials: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The plugin's argv and the environment to add, exactly as the AWS CLI builds them.

    ``credentials``: an assumed role's (``CREDENTIAL_ENV`` names), added to the environment as the
    AWS CLI's own environment would hand them down; then no profile is given."""
    payload = json.dumps({key: response[key] for key in RESPONSE_KEYS})
    extra: dict[str, str] = dict(credentials or {})
    first = payload
    if uses_env_response(plugin.version):
        extra[RESPONSE_ENV] = payload
        first = RESPONSE_ENV
    argv = [
        plugin.path,
        first,
        region,
        "StartSession",
        profile or "",
        json.dumps(dict(request)),
        endpoint_url,
    ]
    return argv, extra


# ---------------------------------------------------------------------------------------------
# Pre-flight
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preflight:
    """Whether a session may be started, and every reason it may not."""

    ok: bool
    problems: tuple[str, ...]
    plugin: Plugin | None


async def _credentials_problem(factory: ClientFactory, region: str, place: Place | None) -> str:
    try:
        if place is not None:
            sts = await place.client(factory, "sts")
        else:
            sts = await factory.client("sts", region)
        await sts.get_caller_identity()
    except Exception as exc:  # any failure means StartSession would fail the same way
        problem = classify(exc, profile=(place.profile if place else None) or factory.target.profile)
        where = f" in {account_words(place)} ({via_words(place)})" if place and not place.home else ""
        return f"credentials{where}: {problem.one_line()}"
    return ""


async def preflight(
    factory: ClientFactory, target: ManagedTarget, plugin_path: str | None, place: Place | None = None
) -> Preflight:
    """Check the target is online, the plugin is installed and the credentials work (``place``'s:
    the target's account, through its role or profile); never calls StartSession."""
    plugin, credentials = await asyncio.gather(
        asyncio.to_thread(find_plugin, plugin_path), _credentials_problem(factory, target.region, place)
    )
    problems: list[str] = []
    if not target.online:
        label = target.name or target.instance_id
        problems.append(
            f"{label} is {target.ping_status or 'not reporting'}, not Online: "
            "Session Manager reaches it only while its agent is connected"
        )
    if plugin is None:
        where = f"at {plugin_path}" if plugin_path else "on PATH"
        problems.append(f"{PLUGIN_NAME} was not found {where}. {INSTALL_HINT}")
    if credentials:
        problems.append(credentials)
    return Preflight(ok=not problems, problems=tuple(problems), plugin=plugin)


# ---------------------------------------------------------------------------------------------
# Launching
# ---------------------------------------------------------------------------------------------


class SessionStartError(Exception):
    """StartSession failed or answered without a session; ``problem`` says why."""

    def __init__(self, problem: AwsProblem, result: ActionResult | None = None) -> None:
        super().__init__(problem.one_line())
        self.problem = problem
        self.result = result


@dataclass(frozen=True)
class OpenedSession:
    """A session StartSession opened. ``response`` holds the token: it is kept in memory only and
    left out of ``repr``."""

    request: SessionRequest
    session_id: str
    response: Mapping[str, str] = field(repr=False)
    endpoint_url: str
    started_at: datetime
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The assumed role's credentials for the plugin (``CREDENTIAL_ENV``), when the session opened
    in another account as a role: in memory only, like the token."""


@dataclass(frozen=True)
class PluginExit:
    """How the plugin ended: ``returncode`` None when it runs on in a tmux window."""

    started: bool
    returncode: int | None
    error: str
    ended_at: datetime


_USER_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGQUIT", "SIGTSTP") if hasattr(signal, name)
)


def _swallow(signum: int, frame: FrameType | None) -> None:
    log.debug("signal %d left to the session", signum)


@contextlib.contextmanager
def keyboard_signals_to_child() -> Iterator[None]:
    """While inside, Ctrl+C, Ctrl+\\ and Ctrl+Z do nothing to this process (the AWS CLI's
    ``ignore_user_entered_signals``); the previous handlers come back on the way out, even on error.

    A handler that does nothing is installed rather than SIG_IGN: exec resets a handled signal to
    its default in the child, while an ignored one would stay ignored there too. Outside the main
    thread handlers cannot be changed, and nothing is.
    """
    saved: dict[int, Any] = {}
    try:
        for sig in _USER_SIGNALS:
            try:
                saved[sig] = signal.signal(sig, _swallow)
            except ValueError:
                log.debug("not the main thread: keyboard signals keep their handlers")
                break
        yield
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)


def foreground_terminal() -> int | None:
    """The descriptor of this process's terminal (standard input) when this process's group is its
    foreground group, else None (no terminal, or run in the background)."""
    try:
        fd = sys.stdin.fileno()
        if os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp():
            return fd
    except (OSError, ValueError, AttributeError):
        pass
    return None


def _hand_terminal(fd: int, pgid: int) -> bool:
    """Make ``pgid`` the foreground group of the terminal ``fd``. SIGTTOU is blocked meanwhile: a
    process not in the foreground group would otherwise be stopped by it (blocking works in any
    thread, where changing a handler would not)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTTOU})
    try:
        os.tcsetpgrp(fd, pgid)
    except OSError as exc:
        log.debug("terminal not handed to group %d: %s", pgid, exc.strerror or exc)
        return False
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return True


#: Written to the terminal when Ctrl+Z stops a session: the console cannot keep a stopped job.
RESUMED_NOTE = "\r\nwarroom: a session cannot be suspended from the console; it goes on.\r\n"


def run_in_foreground(argv: list[str], env: Mapping[str, str], *, terminal: int | None = None) -> int:
    """Run ``argv`` until it exits, as a shell runs a job in the foreground; its exit status (minus
    the signal number when a signal ended it). Raises OSError when it cannot be started.

    The child gets its own process group, which is made the terminal's foreground group while it
    runs: Ctrl+C, Ctrl+\\ and Ctrl+Z reach it and nothing else (not this console, not ``make`` or
    the shell above it). The terminal comes back to this process's group when the child ends,
    whatever happened. A child stopped by Ctrl+Z (or by reading the terminal before it was its
    own) is continued in the foreground at once: the console offers no job control, and a stopped
    session would hang it. Without a terminal this process is in the foreground of (``terminal``
    defaults to ``foreground_terminal()``), the child shares this process's group and the keyboard's
    signals are ignored here meanwhile, as the AWS CLI does.
    """
    fd = foreground_terminal() if terminal is None else terminal
    if fd is None:
        with keyboard_signals_to_child():
            return subprocess.Popen(list(argv), env=dict(env)).wait()
    own = os.getpgrp()
    with keyboard_signals_to_child():
        child = subprocess.Popen(list(argv), env=dict(env), process_group=0)
        try:
            if _hand_terminal(fd, child.pid):
                # It may have tried the terminal before it was its own, and been stopped for it.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGCONT)
            while True:
                try:
                    _pid, status = os.waitpid(child.pid, os.WUNTRACED)
                except InterruptedError:
                    continue
                if os.WIFSTOPPED(status):
                    log.debug("session stopped by signal %d: continued", os.WSTOPSIG(status))
                    _hand_terminal(fd, child.pid)
                    with contextlib.suppress(OSError):
                        os.write(fd, RESUMED_NOTE.encode())
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(child.pid, signal.SIGCONT)
                    continue
                child.returncode = os.waitstatus_to_exitcode(status)
                return child.returncode
        finally:
            _hand_terminal(fd, own)
            if child.returncode is None:
                # Leaving on an error: the session must not outlive the console's hold on it.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGHUP)
                with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                    child.wait(timeout=5)


def _os_error_text(path: str, exc: OSError) -> str:
    return f"{path}: {exc.strerror or exc}"


def _window_name(target: str) -> str:
    return "ssm:" + re.sub(r"[^A-Za-z0-9._-]", "_", target)[:40]


def _peer_uid(conn: socket.socket) -> int | None:
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    raw = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


def _window_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment plus ``extra``, minus what names this process's tmux pane."""
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    env.update(extra)
    return env


class SessionLauncher:
    """Opens sessions through the action gate, hands them to the plugin, ends and audits them."""

    def __init__(
        self, runner: ActionRunner, factory: ClientFactory, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.runner = runner
        self.factory = factory
        self.clock = clock

    async def open(self, req: SessionRequest) -> OpenedSession:
        """StartSession through the runner (read-only and plan refusals are raised by it, and it
        audits the call with the token redacted); a failed call raises ``SessionStartError``.

        In another account as a role, the role is assumed once more for the plugin first, so that
        the credentials it gets last as long as a role's do (an hour) from the session's start."""
        plan = start_plan(req)
        credentials: dict[str, str] = {}
        away = req.elsewhere
        if away is not None and away.role_arn and not self.runner.read_only and not plan.refused:
            try:
                issued = await self.factory.fresh_role_credentials(away.role_arn)
            except Exception as exc:  # the session is not started: said like StartSession's failure
                raise SessionStartError(classify(exc, profile=self.runner.profile)) from None
            credentials = dict(zip(CREDENTIAL_ENV, issued, strict=True))
        result = await self.runner.execute(plan)
        if not result.ok:
            problem = result.problem or AwsProblem(
                ErrorKind.ERROR, result.message, "", "StartSessionFailed", "StartSession"
            )
            raise SessionStartError(problem, result)
        answer = result.outputs[0] if result.outputs else {}
        values = {key: answer.get(key) for key in RESPONSE_KEYS}
        missing = [key for key, value in values.items() if not isinstance(value, str) or not value]
        if missing:
            session_id = values["SessionId"]
            if isinstance(session_id, str) and session_id:
                await self.terminate(session_id, req.region, place=req.place)
            raise SessionStartError(
                AwsProblem(
                    ErrorKind.ERROR,
                    f"StartSession answered without {', '.join(missing)}",
                    "the session cannot be joined; try again",
                    "IncompleteResponse",
                    "StartSession",
                )
            )
        response = {key: str(values[key]) for key in RESPONSE_KEYS}
        place = req.place
        ssm = await (place.client(self.factory, "ssm") if place else self.factory.client("ssm", req.region))
        return OpenedSession(
            request=req,
            session_id=response["SessionId"],
            response=response,
            endpoint_url=str(ssm.meta.endpoint_url),
            started_at=self.clock(),
            credentials=credentials,
        )

    def invocation(
        self, opened: OpenedSession, plugin: Plugin, profile: str | None
    ) -> tuple[list[str], dict[str, str]]:
        """The plugin's argv and extra environment for ``opened``; ``profile`` is the console's
        --profile, given to the plugin for a session in the credential's own account only."""
        return plugin_invocation(
            plugin,
            opened.response,
            opened.request.region,
            plugin_profile(opened.request.place, profile),
            start_parameters(opened.request),
            opened.endpoint_url,
            opened.credentials,
        )

    def run_plugin(
        self, opened: OpenedSession, plugin: Plugin, *, profile: str | None, tmux_window: bool = False
    ) -> PluginExit:
        """Run the plugin on this terminal until it exits (blocking), keyboard signals going to it;
        with ``tmux_window`` (inside tmux only) start it in a new tmux window and return at once.
        ``profile``: the console's --profile (see ``invocation``)."""
        argv, extra = self.invocation(opened, plugin, profile)
        if tmux_window:
            return self._in_tmux_window(opened, argv, extra)
        env = {**os.environ, **extra}
        try:
            returncode = run_in_foreground(argv, env)
        except OSError as exc:
            log.debug("plugin %s did not start: %s", plugin.path, exc.strerror or exc)
            return PluginExit(False, None, _os_error_text(plugin.path, exc), self.clock())
        log.debug("plugin for %s exited with %s", opened.session_id, returncode)
        return PluginExit(True, returncode, "", self.clock())

    def _in_tmux_window(self, opened: OpenedSession, argv: list[str], extra: Mapping[str, str]) -> PluginExit:
        """A new tmux window runs ``python -m tui.aws.session_window <socket>``, which reads argv and
        environment from a unix socket (mode 0600, in a 0700 directory) served here once, then execs
        the plugin. The exec closes the helper's end of the socket: an EOF means the plugin runs, a
        line of text is the helper's error."""
        if not os.environ.get("TMUX"):
            return PluginExit(False, None, "not inside tmux: TMUX is not set", self.clock())
        tmux = shutil.which("tmux")
        if tmux is None:
            return PluginExit(False, None, "tmux is not on PATH", self.clock())
        directory = tempfile.mkdtemp(prefix="warroom-ssm-")
        address = os.path.join(directory, "s")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(address)
            os.chmod(address, 0o600)
            server.listen(1)
            server.settimeout(WINDOW_CONNECT_TIMEOUT_S)
            helper = [sys.executable, "-m", "tui.aws.session_window", address]
            made = subprocess.run(
                [tmux, "new-window", "-n", _window_name(opened.request.target), shlex.join(helper)],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=WINDOW_CONNECT_TIMEOUT_S,
                check=False,
            )
            if made.returncode != 0:
                reason = made.stderr.strip() or f"exit status {made.returncode}"
                return PluginExit(False, None, f"tmux new-window failed: {reason}", self.clock())
            error = self._hand_over(server, argv, _window_environment(extra))
        except (OSError, subprocess.SubprocessError) as exc:
            text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return PluginExit(False, None, f"tmux window: {text or type(exc).__name__}", self.clock())
        finally:
            server.close()
            with contextlib.suppress(OSError):
                os.unlink(address)
            with contextlib.suppress(OSError):
                os.rmdir(directory)
        if error:
            return PluginExit(False, None, error, self.clock())
        return PluginExit(True, None, "", self.clock())

    @staticmethod
    def _hand_over(server: socket.socket, argv: list[str], env: Mapping[str, str]) -> str:
        """Serve one connection of this user: send argv and environment, then read the helper's
        answer until EOF ("" when the plugin was exec'd)."""
        try:
            conn, _ = server.accept()
        except TimeoutError:
            return "the tmux window did not ask for the session in time"
        with conn:
            conn.settimeout(WINDOW_CONNECT_TIMEOUT_S)
            uid = _peer_uid(conn)
            if uid is not None and uid != os.getuid():
                return f"a process of another user (uid {uid}) connected to the session socket"
            conn.sendall(json.dumps({"argv": argv, "env": dict(env)}).encode("utf-8"))
            conn.shutdown(socket.SHUT_WR)
            answer = bytearray()
            try:
                while len(answer) < WINDOW_PAYLOAD_LIMIT:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    answer.extend(chunk)
            except TimeoutError:
                return "the tmux window did not confirm the plugin started"
        return answer.decode("utf-8", errors="replace").strip()

    async def terminate(self, session_id: str, region: str, *, place: Place | None = None) -> ActionResult:
        """TerminateSession through the runner, in the account the session was opened in (audited;
        refusals are raised by it)."""
        return await self.runner.execute(terminate_plan(session_id, region, place))

    async def record_end(self, opened: OpenedSession, exit: PluginExit) -> None:
        """One SessionEnded audit record: target, document, times and exit status, never the token.
        An unwritable audit log is logged, not raised."""
        req = opened.request
        if not exit.started:
            outcome, message = "error", f"plugin did not start: {exit.error}"
        elif exit.returncode is None:
            outcome, message = "ok", "handed to a new tmux window; its end is not observed here"
        elif exit.returncode == 0:
            outcome, message = "ok", "exit status 0"
        else:
            outcome, message = "error", f"exit status {exit.returncode}"
        away = req.elsewhere
        record: dict[str, Any] = {name: None for name in FIELDS}
        record.update(
            {
                "at": self.clock().isoformat(),
                "actor": self.runner.actor,
                "profile": (away.profile if away else None) or self.runner.profile,
                "account": (req.place.account_id if req.place else "") or self.runner.account,
                "region": req.region,
                "service": "ssm",
                "operation": "SessionEnded",
                "params": {
                    "SessionId": opened.session_id,
                    "Target": req.target,
                    "DocumentName": req.document or SHELL_DOCUMENT,
                    "Parameters": {name: list(values) for name, values in req.parameters.items()},
                    "Reason": req.reason or None,
                    "StartedAt": opened.started_at.isoformat(),
                    "EndedAt": exit.ended_at.isoformat(),
                    "PluginStarted": exit.started,
                    "ExitStatus": exit.returncode,
                },
                "role_arn": away.role_arn if away else None,
                "outcome": outcome,
                "error_code": ""
                if outcome == "ok"
                else ("PluginNotStarted" if not exit.started else "ExitStatus"),
                "message": message,
                "plan_title": f"{_title(req).capitalize()} session {opened.session_id} on {req.target}",
                "plan_key": f"ssm:{req.region}:{req.target}",
            }
        )
        # Through the runner, so its listeners (the journal) learn of the end too.
        await self.runner.write_record(record)
