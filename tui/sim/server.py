"""The simulator's server: moto's ThreadedMotoServer on loopback, with our extensions and a workload."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"

# Credentials the simulator accepts; they are not secrets and never reach AWS.
SIM_ACCESS_KEY = "testing"
SIM_SECRET_KEY = "testing"

_QUIET_LOGGERS = ("werkzeug", "moto", "botocore", "boto3", "urllib3", "aiobotocore")


def silence_library_logs() -> None:
    """Keep moto's request log and library chatter off the terminal the console draws on.

    With no handler on the root logger, Python's last-resort handler and Flask's default handler
    would both write to stderr; a NullHandler there keeps records flowing to whatever file handler
    the caller configures, and nowhere else.
    """
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING if name != "werkzeug" else logging.ERROR)
        logger.propagate = True


def _check_port_free(host: str, port: int) -> None:
    """Raise OSError now when ``port`` is taken: moto binds it in its own thread, where a failure
    would leave start() waiting forever for a server that never comes up."""
    if not port:
        return
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def _keep_connections_alive() -> None:
    """Answer in HTTP/1.1 so clients reuse connections, as AWS endpoints let them (werkzeug's
    default, HTTP/1.0, makes every call open a new connection)."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    MotoRequestHandler.protocol_version = "HTTP/1.1"


def _prepare_moto_env() -> None:
    # moto reads the region at import time. Accounts are not pinned (no MOTO_ACCOUNT_ID): a request
    # lands in the account of its access key, so the simulator's keys, which belong to no IAM user,
    # reach moto's default account (ACCOUNT_ID), and keys from sts:AssumeRole the role's account.
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)


@dataclass
class SimServer:
    """A running simulator. ``start()`` returns once the endpoint answers.

    ``extra_findings`` synthetic findings (``tui.sim.findings_bulk``) are imported after the
    seeded ones, through BatchImportFindings in batches of 100: 10,000 add about 2.5 s to start()
    (50,000 about 21 s: each import costs more as the store grows).
    """

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 7
    empty: bool = False
    live: bool = True
    extra_findings: int = 0
    _server: Any = field(default=None, init=False, repr=False)
    _workload: Any = field(default=None, init=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def start(self) -> SimServer:
        _prepare_moto_env()
        silence_library_logs()
        from moto.server import ThreadedMotoServer

        from tui.sim import extensions

        extensions.install()
        _keep_connections_alive()
        _check_port_free(self.host, self.port)
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        if not self.empty:
            from tui.sim.workload import Workload

            self._workload = Workload(self.endpoint_url, seed=self.seed, extra_findings=self.extra_findings)
            self._workload.seed_all()
            if self.live:
                self._workload.start_metrics()
        return self

    @property
    def workload(self) -> Any:
        return self._workload

    def stop(self) -> None:
        if self._workload is not None:
            self._workload.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
