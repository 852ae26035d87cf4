"""The stand-in for session-manager-plugin that ``warroom demo`` runs: a simulated session, no AWS involved.

It is started exactly as the AWS CLI starts the real plugin::

    plugin RESPONSE REGION StartSession PROFILE REQUEST-JSON ENDPOINT-URL

where RESPONSE is the StartSession answer as JSON, or the name of the environment variable
``AWS_SSM_START_SESSION_RESPONSE`` holding it (the form used for plugin versions above 1.2.497.0,
which ``--version`` reports). It prints a banner labelled as simulated with the target, document,
parameters and session id it received (never the session token), then plays the document locally:

* a shell document opens the user's shell ($SHELL, else /bin/sh) with a prompt naming the target
  and ``WARROOM_SIMULATED_TARGET`` in its environment; the exit code is the shell's;
* the port forwarding documents listen on 127.0.0.1:<localPortNumber> and answer each connection
  with one line naming the simulated forward, until Ctrl+C (exit 0);
* AWS-StartSSHSession and the command documents describe what would run, and end (exit 0).

When it ends, it calls TerminateSession against the endpoint, as the real plugin ends its session,
with the credentials the real plugin would use: the profile it was given, else the environment's keys
(an assumed role's, for a session in another account), else the simulator's; a failure there is
reported on stderr. Malformed arguments are reported on stderr with exit code 2.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from tui.sim.account import SIM_ACCESS_KEY, SIM_SECRET_KEY

VERSION = "1.2.650.0-warroom-simulated"
RESPONSE_ENV = "AWS_SSM_START_SESSION_RESPONSE"
TARGET_ENV = "WARROOM_SIMULATED_TARGET"
LAUNCHER_NAME = "session-manager-plugin"
MODULE = "tui.sim.standin_plugin"
BANNER = "warroom demo: simulated Session Manager session \u2014 no AWS involved"
USAGE = (
    "usage: session-manager-plugin RESPONSE-JSON|AWS_SSM_START_SESSION_RESPONSE REGION StartSession "
    "PROFILE REQUEST-JSON ENDPOINT-URL\n"
    "       session-manager-plugin --version"
)
EXIT_USAGE = 2

SHELL_DOCUMENT = "SSM-SessionManagerRunShell"
PORT_FORWARD_DOCUMENT = "AWS-StartPortForwardingSession"
REMOTE_PORT_FORWARD_DOCUMENT = "AWS-StartPortForwardingSessionToRemoteHost"
SSH_DOCUMENT = "AWS-StartSSHSession"
COMMAND_DOCUMENTS = ("AWS-StartInteractiveCommand", "AWS-StartNonInteractiveCommand")

# Seconds a shell has to exit after a hangup before it is killed.
_HANGUP_GRACE = 5.0

# The credentials the plugin may be handed in its environment: not the instance shell's.
_PLUGIN_KEYS = frozenset(
    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}
)

# Characters a prompt may show verbatim: none of them is special to sh, bash, zsh or fish prompts.
_PROMPT_UNSAFE = re.compile(r"[^A-Za-z0-9._:@/+=-]")


class UsageError(Exception):
    """The arguments are not what the AWS CLI hands the plugin."""


@dataclass(frozen=True)
class Forward:
    """A port forward: local port (0 lets the system pick one), remote port, optional remote host."""

    local_port: int
    port: int
    host: str | None = None

    def describe(self, target: str, local_port: int | None = None) -> str:
        shown = self.local_port if local_port is None else local_port
        return f"localhost:{shown} -> {self.destination(target)}"

    def destination(self, target: str) -> str:
        via = f"{target}:{self.host}" if self.host else target
        return f"{via}:{self.port}"


@dataclass(frozen=True)
class Invocation:
    """What the plugin was asked to do, read from its arguments (the token is not kept)."""

    session_id: str
    region: str
    profile: str
    target: str
    document: str
    parameters: dict[str, list[str]]
    endpoint_url: str
    reason: str | None = None
    # The port forward, for the port forwarding documents.
    forward: Forward | None = None

    def parameter(self, name: str, default: str | None = None) -> str | None:
        values = self.parameters.get(name)
        return values[0] if values else default


@dataclass
class _Output:
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def warn(self, text: str) -> None:
        print(text, file=self.err, flush=True)


# --------------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------------


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        # The decoder's message gives a position only, never the text (which may hold the token).
        raise UsageError(f"{what} is not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, dict):
        raise UsageError(f"{what} must be a JSON object")
    return value


def _text(mapping: Mapping[str, Any], key: str, what: str) -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value:
        raise UsageError(f"{what} has no {key}")
    return value


def _parameters(raw: Any) -> dict[str, list[str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UsageError("the request's Parameters must be a JSON object of lists of strings")
    out: dict[str, list[str]] = {}
    for name, values in raw.items():
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise UsageError(f"the request's parameter {name!r} must be a list of strings")
        out[str(name)] = list(values)
    return out


def parse_arguments(args: Sequence[str], environ: Mapping[str, str]) -> Invocation:
    """Read the six arguments the AWS CLI passes after the plugin's path."""
    if len(args) != 6:
        raise UsageError(f"expected 6 arguments after the plugin's path, got {len(args)}")
    response_arg, region, operation, profile, request_arg, endpoint_url = args
    if response_arg.startswith(RESPONSE_ENV):
        response_text = environ.get(response_arg)
        if not response_text:
            raise UsageError(f"the environment variable {response_arg} is not set")
        response = _json_object(response_text, f"the StartSession response in {response_arg}")
    else:
        response = _json_object(response_arg, "the StartSession response")
    session_id = _text(response, "SessionId", "the StartSession response")
    if not region:
        raise UsageError("the region is empty")
    if operation != "StartSession":
        raise UsageError(f"unknown operation {operation!r} (only StartSession is supported)")
    request = _json_object(request_arg, "the StartSession request")
    target = _text(request, "Target", "the StartSession request")
    document = request.get("DocumentName") or SHELL_DOCUMENT
    if not isinstance(document, str):
        raise UsageError("the request's DocumentName must be a string")
    if not re.match(r"^https?://[^\s/]+", endpoint_url):
        raise UsageError(f"the endpoint URL {endpoint_url!r} is not an http(s) URL")
    document = document.rsplit("/", 1)[-1] if document.startswith("arn:") else document
    parameters = _parameters(request.get("Parameters"))
    reason = request.get("Reason")
    return Invocation(
        session_id=session_id,
        region=region,
        profile=profile,
        target=target,
        document=document,
        parameters=parameters,
        endpoint_url=endpoint_url,
        reason=reason if isinstance(reason, str) and reason else None,
        forward=_forward(document, parameters),
    )


def _port(value: str | None, name: str, *, low: int) -> int:
    try:
        number = int(value or "")
    except ValueError:
        raise UsageError(f"the parameter {name} must be a port number, not {value!r}") from None
    if not low <= number <= 65535:
        raise UsageError(f"the parameter {name} must be between {low} and 65535, not {number}")
    return number


def _forward(document: str, parameters: Mapping[str, list[str]]) -> Forward | None:
    """The forward a port forwarding document asks for, with the documents' defaults; else None."""
    if document not in (PORT_FORWARD_DOCUMENT, REMOTE_PORT_FORWARD_DOCUMENT):
        return None

    def first(name: str, default: str | None = None) -> str | None:
        values = parameters.get(name)
        return values[0] if values else default

    host = None
    if document == REMOTE_PORT_FORWARD_DOCUMENT:
        host = first("host")
        if not host:
            raise UsageError(f"{REMOTE_PORT_FORWARD_DOCUMENT} needs the parameter host")
    return Forward(
        local_port=_port(first("localPortNumber", "0"), "localPortNumber", low=0),
        port=_port(first("portNumber", "80"), "portNumber", low=1),
        host=host,
    )


# --------------------------------------------------------------------------------------------
# The banner
# --------------------------------------------------------------------------------------------


def banner_lines(invocation: Invocation) -> list[str]:
    """The banner: what the stand-in received, labelled as simulated (the token is not shown)."""
    lines = [
        BANNER,
        f"  target:     {invocation.target}",
        f"  document:   {invocation.document}",
    ]
    if invocation.parameters:
        lines.append("  parameters:")
        lines.extend(
            f"    {name} = {', '.join(values)}" for name, values in sorted(invocation.parameters.items())
        )
    else:
        lines.append("  parameters: (none)")
    if invocation.reason:
        lines.append(f"  reason:     {invocation.reason}")
    lines += [
        f"  region:     {invocation.region}",
        f"  profile:    {invocation.profile or '(default)'}",
        f"  endpoint:   {invocation.endpoint_url}",
        f"  session id: {invocation.session_id}",
        "",
        f"Starting session with SessionId: {invocation.session_id}",
    ]
    return lines


# --------------------------------------------------------------------------------------------
# Signals that end the session
# --------------------------------------------------------------------------------------------


class _Stop(Exception):
    """A signal asked the session to end."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _stopped_by(*signums: int) -> Iterator[None]:
    """Within the block, each of ``signums`` raises _Stop, including a signal this process was
    started with ignored (the AWS CLI ignores SIGINT while the plugin runs, and children inherit that)."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop(signum)

    previous = {signum: signal.signal(signum, stop) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# --------------------------------------------------------------------------------------------
# Shell documents
# --------------------------------------------------------------------------------------------


def prompt_label(target: str) -> str:
    """The target as a prompt may show it: characters special to a shell's prompt become '?'."""
    return _PROMPT_UNSAFE.sub("?", target)[:80]


def shell_command(shell: str, target: str, environ: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that start ``shell`` interactively with a prompt naming the target.

    The environment is ``environ`` with the simulated target added and the StartSession response
    and the plugin's keys removed (a shell on the instance has neither; the keys are an assumed
    role's for a session in another account). bash and zsh run without their startup files (they
    would replace the prompt) and read the prompt from PS1 (bash) or PROMPT (zsh); fish gets a prompt
    function; any other shell PS1.
    """
    label = prompt_label(target)
    env = {
        key: value
        for key, value in environ.items()
        if not key.startswith(RESPONSE_ENV) and key not in _PLUGIN_KEYS
    }
    env[TARGET_ENV] = target
    name = os.path.basename(shell)
    if name == "bash":
        env["PS1"] = f"[simulated {label}] \\$ "
        return [shell, "--norc", "--noprofile", "-i"], env
    if name == "zsh":
        env["PROMPT"] = f"[simulated {label}] %# "
        env["PS1"] = env["PROMPT"]
        return [shell, "-f", "-i"], env
    if name == "fish":
        function = f"function fish_prompt; echo -n '[simulated {label}] > '; end"
        return [shell, "--interactive", "--init-command", function], env
    env["PS1"] = f"[simulated {label}] $ "
    return [shell, "-i"], env


def user_shell(environ: Mapping[str, str]) -> str:
    """$SHELL when it names a runnable program, else /bin/sh."""
    shell = environ.get("SHELL", "")
    if shell:
        found = shutil.which(shell)
        if found:
            return shell if os.path.isabs(shell) else found
    return "/bin/sh"


_SHELL_STOPS = (signal.SIGTERM, signal.SIGHUP)


def _default_sigint() -> None:
    """In the shell's process before exec: SIGINT back to its default, whatever this process had,
    and the stop signals this process blocked while starting it delivered again."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SHELL_STOPS)


def exit_status(returncode: int) -> int:
    """A child's return code as a shell reports it: 128 + N when signal N ended it."""
    return 128 - returncode if returncode < 0 else returncode


def run_shell(invocation: Invocation, out: _Output, environ: Mapping[str, str]) -> int:
    shell = user_shell(environ)
    argv, env = shell_command(shell, invocation.target, environ)
    out.say(
        f"Opening a local shell ({shell}) standing in for {invocation.target}; exit it to end the session."
    )
    out.say("")
    # Ctrl+C belongs to the shell, as it belongs to the remote shell in a real session.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    process: subprocess.Popen[bytes] | None = None
    try:
        with _stopped_by(*_SHELL_STOPS):
            # A stop that arrives while the shell starts waits until ``process`` names it, so
            # the shell is always hung up with the session.
            signal.pthread_sigmask(signal.SIG_BLOCK, _SHELL_STOPS)
            try:
                process = subprocess.Popen(argv, env=env, preexec_fn=_default_sigint)
            except OSError as exc:
                out.warn(f"warroom demo: cannot start the shell {shell}: {exc.strerror or exc}")
                return 127
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _SHELL_STOPS)
            return exit_status(process.wait())
    except _Stop as stop:
        if process is not None:
            _hang_up(process)
        return 128 + stop.signum
    finally:
        signal.signal(signal.SIGINT, previous)


def _hang_up(process: subprocess.Popen[bytes]) -> None:
    """End the shell as a terminal hangup does (an interactive shell ignores SIGTERM)."""
    process.send_signal(signal.SIGHUP)
    try:
        process.wait(_HANGUP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --------------------------------------------------------------------------------------------
# Port forwarding documents
# --------------------------------------------------------------------------------------------


def serve_forward(invocation: Invocation, forward: Forward, out: _Output) -> int:
    """Answer connections on 127.0.0.1:<local port> with one line each, until Ctrl+C (or SIGTERM,
    SIGHUP)."""
    destination = forward.destination(invocation.target)
    try:
        listener = socket.create_server(("127.0.0.1", forward.local_port))
    except OSError as exc:
        out.warn(f"warroom demo: cannot listen on 127.0.0.1:{forward.local_port}: {exc.strerror or exc}")
        return 1
    reply = f"warroom demo: simulated forward to {destination}\n".encode()
    with listener:
        port = int(listener.getsockname()[1])
        try:
            with _stopped_by(signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                out.say(f"Would forward {forward.describe(invocation.target, port)}")
                out.say(f"Port {port} opened for sessionId {invocation.session_id}.")
                out.say("Waiting for connections... (Ctrl+C ends the session)")
                while True:
                    connection, peer = listener.accept()
                    with connection:
                        out.say(
                            f"Connection accepted from {peer[0]}:{peer[1]} "
                            f"for session [{invocation.session_id}]"
                        )
                        with contextlib.suppress(OSError):
                            connection.sendall(reply)
        except _Stop:
            out.say("")
    return 0


# --------------------------------------------------------------------------------------------
# Other documents
# --------------------------------------------------------------------------------------------


def describe_ssh(invocation: Invocation, out: _Output) -> int:
    port = invocation.parameter("portNumber", "22")
    out.say(
        f"SSH would run over this session to {invocation.target} port {port} "
        "(ssh uses the plugin as its ProxyCommand); the simulator has no SSH server, so nothing is connected."
    )
    return 0


def describe_command(invocation: Invocation, out: _Output) -> int:
    command = invocation.parameter("command", "")
    out.say(f"The command would run on {invocation.target}: {command}")
    out.say("The stand-in does not run it: nothing is executed.")
    return 0


# --------------------------------------------------------------------------------------------
# Ending the session
# --------------------------------------------------------------------------------------------


def credentials_of(invocation: Invocation, environ: Mapping[str, str]) -> dict[str, str]:
    """The credentials the plugin ends its session with, found as the real plugin's SDK finds them:
    the profile it was given (resolved by boto3: {} here), else the environment's keys (an assumed
    role's, handed down by the console or the AWS CLI), else the simulator's own."""
    if invocation.profile:
        return {}
    key, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        found = {"aws_access_key_id": key, "aws_secret_access_key": secret}
        token = environ.get("AWS_SESSION_TOKEN")
        if token:
            found["aws_session_token"] = token
        return found
    return {"aws_access_key_id": SIM_ACCESS_KEY, "aws_secret_access_key": SIM_SECRET_KEY}


def terminate_session(invocation: Invocation, out: _Output, environ: Mapping[str, str] | None = None) -> bool:
    """TerminateSession for the session, in the account of the credentials it was given (see
    ``credentials_of``); False (reported) on failure."""
    try:
        # For start-up time: boto3 (0.12 s) only when a session ends, not for every plugin run.
        import boto3
        from botocore.config import Config

        session = boto3.Session(profile_name=invocation.profile or None)
        client = session.client(
            "ssm",
            region_name=invocation.region,
            endpoint_url=invocation.endpoint_url,
            config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}),
            **credentials_of(invocation, os.environ if environ is None else environ),
        )
        client.terminate_session(SessionId=invocation.session_id)
    except Exception as exc:
        out.warn(f"warroom demo: could not end session {invocation.session_id}: {exc}")
        return False
    out.say(f"Exiting session with sessionId: {invocation.session_id}.")
    return True


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def run(invocation: Invocation, out: _Output, environ: Mapping[str, str]) -> int:
    """Print the banner, play the document, end the session; the document's exit status."""
    for line in banner_lines(invocation):
        out.say(line)
    try:
        if invocation.forward is not None:
            status = serve_forward(invocation, invocation.forward, out)
        elif invocation.document == SSH_DOCUMENT:
            status = describe_ssh(invocation, out)
        elif invocation.document in COMMAND_DOCUMENTS:
            status = describe_command(invocation, out)
        else:
            status = run_shell(invocation, out, environ)
    finally:
        terminate_session(invocation, out, environ)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run as session-manager-plugin; ``argv`` is what follows the program's path (default: sys.argv[1:])."""
    args = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    out = _Output()
    if args == ["--version"]:
        out.say(VERSION)
        return 0
    try:
        invocation = parse_arguments(args, os.environ)
    except UsageError as exc:
        out.warn(f"warroom demo session-manager-plugin (simulated): {exc}")
        out.warn(USAGE)
        return EXIT_USAGE
    # The response holds the session token: like the real plugin, drop it from the environment
    # before anything else runs.
    for key in [key for key in os.environ if key.startswith(RESPONSE_ENV)]:
        del os.environ[key]
    return run(invocation, out, dict(os.environ))


def standin_command() -> list[str]:
    """The command that runs the stand-in with this interpreter; the plugin's arguments follow it."""
    return [sys.executable, "-m", MODULE]


def _package_root() -> Path:
    return Path(__file__).resolve().parents[2]


def launcher_script() -> str:
    """The text of the launcher: this interpreter running the stand-in from this source tree."""
    code = (
        f"import sys; sys.path.insert(0, {str(_package_root())!r}); "
        f"from {MODULE} import main; raise SystemExit(main(sys.argv[1:]))"
    )
    return (
        "#!/bin/sh\n"
        "# warroom demo: a stand-in for session-manager-plugin (simulated, no AWS involved).\n"
        f'exec {shlex.quote(sys.executable)} -P -c {shlex.quote(code)} "$@"\n'
    )


def write_launcher(directory: Path) -> Path:
    """Write an executable ``session-manager-plugin`` (mode 0700) in ``directory``; its path."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / LAUNCHER_NAME
    staging = directory / f".{LAUNCHER_NAME}.{os.getpid()}.tmp"
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o700)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(launcher_script())
        os.chmod(staging, 0o700)
        os.replace(staging, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(staging)
        raise
    return path


if __name__ == "__main__":
    raise SystemExit(main())
