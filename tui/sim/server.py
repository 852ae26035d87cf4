"""The simulator's server: moto's WSGI application on loopback, with our extensions and a workload."""

from __future__ import annotations

import functools
import os
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tui.common.catalogue import CATALOGUE
from tui.common.logs import silence_library_logs
from tui.sim import botocore_data, control, dispatch, extensions, moto_serializer, randomness
from tui.sim.account import REGION, SIM_ACCESS_KEY

# Every command imports this module, and the console runs without a simulator: moto and werkzeug
# (about 0.23 s, and moto reads AWS_DEFAULT_REGION when imported, which ``start`` sets first), the
# workload and the fault engine are imported inside the functions that start a simulator.

if TYPE_CHECKING:
    from tui.sim.faults import FaultEngine
    from tui.sim.scenario import Scenario, ScenarioRunner


def _reserve(host: str, port: int) -> socket.socket:
    """Bind the public address now, without listening on it.

    A taken port fails here at once (moto would fail in its own thread, where start() could not see
    it), and until ``listen()`` the kernel refuses every connection to the address: a client that
    connects as soon as the port answers finds the workload already seeded.
    """
    from werkzeug.serving import select_address_family

    family = select_address_family(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


class _Listener:
    """One werkzeug server of moto's WSGI application, serving from its own thread."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, name="warroom-sim-http", daemon=True)
        self.thread.start()

    @classmethod
    def open(cls, host: str, port: int, app: Any, *, sock: socket.socket | None = None) -> _Listener:
        from werkzeug.serving import LISTEN_QUEUE, make_server

        handler = _keep_alive_handler()
        if sock is None:
            return cls(make_server(host, port, app, threaded=True, request_handler=handler))
        sock.listen(LISTEN_QUEUE)
        # werkzeug serves a duplicate of the descriptor; ours is closed once it has its own.
        server = make_server(host, port, app, threaded=True, request_handler=handler, fd=sock.fileno())
        sock.close()
        return cls(server)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


SEED_WAIT_S = 120.0
"""The longest a request waits at the public address for the workload's seeding."""
METRICS_WAIT_S = 3.0
"""The metrics' history is written when a client first asks CloudWatch, or this long after the
resources are seeded."""


GROWN_FLEET_HISTORY = timedelta(minutes=70)
"""The metric history of a fleet grown beyond the catalog's (``SimServer(fleet=N)``): the hour the
console reads, and a few minutes. Writing it costs about 0.2 ms of CPU per instance and minute:
three hours of 2,000 instances would take about 80 s of the start, 70 minutes take about 30 s."""

QUIET_WAIT_S = 1.0
"""The longest the metrics' history waits, once the resources are seeded, for the requests being
answered to end."""


def _credential(environ: dict[str, Any]) -> tuple[str, str]:
    """The access key and the service a SigV4-signed request names ("", "" when unsigned)."""
    authorization = str(environ.get("HTTP_AUTHORIZATION") or "")
    _, _, rest = authorization.partition("Credential=")
    scope = rest.split(",", 1)[0].split("/")
    return (scope[0], scope[3]) if len(scope) >= 5 else ("", "")


def _signed_for(environ: dict[str, Any]) -> str:
    """The service a SigV4-signed request names in its credential scope ("" when unsigned)."""
    return _credential(environ)[1]


class _SeedGate:
    """The public address's WSGI application while the workload is seeded behind it.

    sts:GetCallerIdentity and the rest of STS read nothing the workload seeds (the simulator's keys
    belong to no IAM user: they answer for the account's root, seeded or not), so they are answered
    at once, and a console shows its account while the fleet is still being made. A request signed
    with the simulator's keys (the seeded account) for a service the seeding has finished with
    (``ready``: EC2 comes about halfway, Security Hub last) is answered from then on; every other
    request waits until the resources are all seeded (``seeded``), and CloudWatch's until the
    metrics' history is written too (``metrics``): no client sees a half-seeded account for what
    it reads. The history is written when a client first asks CloudWatch (``metrics_wanted``),
    once the requests being answered then are done (``wait_quiet``), so the panes that read no
    metrics (the Overview, polled first) neither wait for it nor share the CPU with it.

    A request answered before everything is seeded draws moto's identifiers from a stream of its
    own (``tui.sim.randomness``): the seed's identifiers do not depend on when clients asked.
    """

    def __init__(self, app: Any, *, account_keys: Iterable[str] = (SIM_ACCESS_KEY,)) -> None:
        self.app = app
        self.seeded = threading.Event()
        self.metrics = threading.Event()
        self.metrics_wanted = threading.Event()
        self._keys = frozenset(account_keys)
        self._ready: set[str] = set()
        self._changed = threading.Condition()
        self._answering = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.metrics.is_set():
            return self.app(environ, start_response)
        key, service = _credential(environ)
        if service == "monitoring":
            self.metrics_wanted.set()
            self.metrics.wait(SEED_WAIT_S)
            return self.app(environ, start_response)
        with self._changed:
            self._changed.wait_for(lambda: self._may_answer(key, service), SEED_WAIT_S)
            aside = not self.seeded.is_set()
            self._answering += 1
        try:
            if aside:
                with randomness.own_stream():
                    return self._answer(environ, start_response)
            return self._answer(environ, start_response)
        finally:
            with self._changed:
                self._answering -= 1
                self._changed.notify_all()

    def _may_answer(self, key: str, service: str) -> bool:
        if self.seeded.is_set() or service == "sts":
            return True
        return key in self._keys and service in self._ready

    def _answer(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """The whole answer, made now (in the caller's random stream, and counted as answering)."""
        result = self.app(environ, start_response)
        try:
            return [bytes(chunk) for chunk in result]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def ready(self, services: Iterable[str]) -> None:
        """The seeded account holds all it will of ``services`` (SigV4 signing names): answer them."""
        with self._changed:
            self._ready.update(services)
            self._changed.notify_all()

    def seed_done(self) -> None:
        """Every resource is seeded: answer everything but CloudWatch."""
        with self._changed:
            self.seeded.set()
            self._changed.notify_all()

    def wait_quiet(self, timeout: float) -> bool:
        """Wait until no request (CloudWatch's aside) is being answered, at most ``timeout`` s."""
        with self._changed:
            return self._changed.wait_for(lambda: self._answering == 0, timeout)

    def release(self) -> None:
        """Answer everything from now on."""
        with self._changed:
            self.seeded.set()
            self.metrics.set()
            self._changed.notify_all()


@functools.cache
def _keep_alive_handler() -> type:
    """moto's request handler, answering as AWS endpoints do: HTTP/1.1 with connections kept open.

    werkzeug 3.1's server sends ``Connection: close`` with every answer, because its handler cannot
    tell where a request's body ends before the next request begins. This one reads the body whole
    first (by its Content-Length, or its chunks), hands the application a copy, and answers with a
    Content-Length, so a client reuses its connection as it would with AWS: one connection and
    thread per client connection, not per call (which made every call pay a connection, and a
    console at fleet scale spend its CPU opening them)."""
    import io
    import traceback

    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class KeepAliveHandler(MotoRequestHandler):
        protocol_version = "HTTP/1.1"

        def run_wsgi(self) -> None:
            if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            environ = self.environ = self.make_environ()
            if environ.pop("wsgi.input_terminated", False):  # chunked: werkzeug de-chunks it
                body = environ["wsgi.input"].read()
            else:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = self.rfile.read(length) if length > 0 else b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            answer: list[Any] = []
            written: list[bytes] = []

            def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                answer[:] = [status, headers]
                return written.append

            try:
                result = self.server.app(environ, start_response)
                try:
                    written.extend(result)
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            except Exception:  # as werkzeug does: the error logged, a 500 answered
                self.server.log("error", "Error on request:\n%s", traceback.format_exc())
                answer[:] = ["500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")]]
                written[:] = [b"Internal Server Error"]
            status, headers = answer
            number, _, reason = status.partition(" ")
            code = int(number)
            out = b"".join(written)
            head = environ["REQUEST_METHOD"] == "HEAD"
            bodiless = head or code in (204, 304)
            self.send_response(code, reason)
            for name, value in headers:
                lowered = name.lower()
                if lowered not in ("content-length", "connection", "transfer-encoding") or (
                    head and lowered == "content-length"  # the length a GET would send
                ):
                    self.send_header(name, value)
            if not bodiless:
                self.send_header("Content-Length", str(len(out)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if not bodiless:
                self.wfile.write(out)
            self.wfile.flush()

    return KeepAliveHandler


def _prepare_moto_env() -> None:
    # moto reads the region at import time. Accounts are not pinned (no MOTO_ACCOUNT_ID): a request
    # lands in the account of its access key, so the simulator's keys, which belong to no IAM user,
    # reach moto's default account (ACCOUNT_ID), and keys from sts:AssumeRole the role's account.
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)


@dataclass
class SimServer:
    """A running simulator. ``start()`` returns once the endpoint answers, with the workload seeded.

    The workload is seeded through the API of the same application, called in this process
    (``tui.sim.inprocess``: no socket); a private loopback listener of it serves the fault engine.
    The public address is bound first but listens only once seeding is done, so until then a
    client's connection is refused and no client ever sees a half-seeded account. With
    ``identity_first`` the public address opens before seeding instead, answering STS at once,
    each of the seeded account's services once the seeding is done with it, and every other
    request once seeding is done (``_SeedGate``).

    With ``org`` the simulator is an AWS Organization (``tui.sim.org``): its accounts and read
    roles are made before the public address opens, then each workload account's fleet, streams
    and findings in both regions; the simulator's keys act in its security account, which holds no
    fleet, and there is no fault engine. ``fleet`` grows the workload to that many instances (the
    catalog's and copies of them), spread over the organization's workload accounts and regions
    with ``org``.

    ``extra_findings`` synthetic findings (``tui.sim.findings_bulk``) are imported after the
    seeded ones, through BatchImportFindings in batches of 100: 10,000 add about 2.5 s to start()
    (50,000 about 21 s: each import costs more as the store grows).

    With a workload, ``faults`` is the fault engine (``tui.sim.faults``) and the control API
    (``tui.sim.control``) answers on the same endpoint. ``scenario`` is played from T+0 = the end
    of start(), at ``speed`` scenario seconds per wall second (None: the scenario's own speed,
    else 1); start() raises ``tui.sim.scenario.ScenarioError`` when a scenario names a target the
    workload does not have.
    """

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 7
    empty: bool = False
    live: bool = True
    extra_findings: int = 0
    scenario: Scenario | None = None
    speed: float | None = None
    progress: Callable[[str], None] | None = field(default=None, repr=False)
    """Told each step of ``start()`` as it begins ("loading moto", "seeding the fleet", ...)."""
    backfill: timedelta | None = None
    """How much metric history seeding writes (None: the workload's own, 3 h, or
    ``GROWN_FLEET_HISTORY`` for a grown ``fleet``): a one-off poll of a pane that reads no metrics
    needs none of it."""
    listening: Callable[[], None] | None = field(default=None, repr=False)
    """Called once the public address accepts connections (with ``identity_first``, before seeding)."""
    org: bool = False
    """Simulate an AWS Organization of several accounts and regions (``tui.sim.org``)."""
    fleet: int | None = None
    """Instances in all (None: the catalog's fleet, in each workload account and region with ``org``)."""
    identity_first: bool = False
    """Open the public address before seeding, answering STS at once and holding every other
    request until what it reads is seeded (``_SeedGate``): for a console started with the
    simulator, which shows its account while the fleet is made, and the Overview's EC2, Kinesis and
    SSM cards while the rest is. Otherwise the address listens only once everything is seeded."""
    _reserved: socket.socket | None = field(default=None, init=False, repr=False)
    _gate: _SeedGate | None = field(default=None, init=False, repr=False)
    _public: _Listener | None = field(default=None, init=False, repr=False)
    _private: _Listener | None = field(default=None, init=False, repr=False)
    _workload: Any = field(default=None, init=False, repr=False)
    _faults: FaultEngine | None = field(default=None, init=False, repr=False)
    _runner: ScenarioRunner | None = field(default=None, init=False, repr=False)
    _control: Any = field(default=None, init=False, repr=False)
    _control_port: int = field(default=0, init=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        """The public endpoint (known once start() has returned)."""
        if self._public is None:
            raise RuntimeError("the simulator is not started")
        return self._public.url

    @property
    def effective_speed(self) -> float:
        """Scenario seconds per wall second: ``speed``, else the scenario's, else 1."""
        if self.speed is not None:
            return float(self.speed)
        return self.scenario.speed if self.scenario is not None else 1.0

    def reserve(self) -> str:
        """Bind the public address now and return the endpoint URL ``start()`` will serve.

        A port in use fails here at once, and a console can be built for the URL while ``start()``
        runs in another thread: until it has seeded the workload, connections to the URL are refused.
        """
        if self._reserved is None:
            self._reserved = _reserve(self.host, self.port)
        host, port = self._reserved.getsockname()[:2]
        return f"http://{host}:{port}"

    def forget_reserved(self) -> None:
        """Close this process's copy of the reserved address (a forked child serves it)."""
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None

    def _listening(self) -> None:
        if self.listening is not None:
            self.listening()

    def _step(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)

    def start(self) -> SimServer:
        speed = self.effective_speed
        if not speed > 0:
            raise ValueError(f"speed must be above 0, not {speed!r}")
        if self.scenario is not None and self.empty:
            raise ValueError("a scenario needs the workload: it cannot run on an empty simulator")
        if self.org and self.empty:
            raise ValueError("an organization needs the workload: --org and --empty exclude each other")
        if self.scenario is not None and self.org:
            raise ValueError("the organization (--org) takes no faults yet: play scenarios without --org")
        if self.fleet is not None:
            self._check_fleet(self.fleet)
        self._step("loading moto")
        _prepare_moto_env()
        silence_library_logs()
        botocore_data.install()
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        from tui.sim import org  # start-up time, as moto

        extensions.install()
        org.install()
        control.install()
        dispatch.install()
        moto_serializer.install()
        reserved = self._reserved or _reserve(self.host, self.port)
        self._reserved = None
        try:
            app = DomainDispatcherApplication(create_backend_app)
            self._private = _Listener.open("127.0.0.1", 0, app)
            self._control_port = int(reserved.getsockname()[1])
            if self.org:
                # The accounts and their roles exist before any client may ask for them.
                self._step("making the organization")
                self._workload = self._org_workload()
                self._workload.seed_organization()
            self._gate = gate = _SeedGate(app) if self.identity_first and not self.empty else None
            if gate is not None:
                self._public = _Listener.open(self.host, self._control_port, gate, sock=reserved)
                self._listening()
            if not self.empty:
                self._seed_workload(speed, backfill=gate is None, ready=None if gate is None else gate.ready)
            self._control = _Control(self)
            control.register(self._control_port, self._control)
            if gate is None:
                self._public = _Listener.open(self.host, self._control_port, app, sock=reserved)
                self._listening()
            else:
                gate.seed_done()
                if self._workload is not None:
                    gate.metrics_wanted.wait(METRICS_WAIT_S)
                    gate.wait_quiet(QUIET_WAIT_S)
                    self._step("backfilling metrics")
                    self._workload.backfill(self._workload.seeded_at)
                gate.release()
            if not self.empty:
                self._run_workload()
        except BaseException:
            reserved.close()
            self.stop()
            raise
        return self

    def _seed_workload(
        self,
        speed: float,
        *,
        backfill: bool = True,
        ready: Callable[[frozenset[str]], None] | None = None,
    ) -> None:
        """Seed through the application (in this process; the private listener's URL names it),
        and prepare what runs once the public address is open."""
        # Imported here for start-up time, as moto is: see the note at the top.
        from tui.sim.faults import FaultEngine
        from tui.sim.workload import Workload

        assert self._private is not None
        if self.org:
            self._workload.seed_all(progress=self._step, backfill=backfill, ready=ready)
            return
        history = self.history
        options: dict[str, Any] = {} if history is None else {"backfill": history}
        if self.fleet is not None:
            from tui.sim.catalog import grown_fleet

            options["instances"] = grown_fleet(self.fleet)
        self._workload = Workload(
            self._private.url,
            seed=self.seed,
            extra_findings=self.extra_findings,
            app=self._private.server.app,
            **options,
        )
        self._workload.seed_all(progress=self._step, backfill=backfill, ready=ready)
        if getattr(self._workload, "inventory", None) is not None:
            self._faults = FaultEngine(self._workload, speed=speed).install()
        if self.scenario is not None:
            if self._faults is None:
                raise ValueError("a scenario needs a seeded workload with an inventory")
            from tui.sim.scenario import ScenarioRunner, check_targets  # start-up time, as above

            check_targets(self.scenario, self._faults)
            self._runner = ScenarioRunner(self.scenario, self._faults, speed=speed)

    def _org_workload(self) -> Any:
        from tui.sim.org import OrgWorkload  # start-up time, as above

        assert self._private is not None
        return OrgWorkload(
            self._private.url,
            app=self._private.server.app,
            seed=self.seed,
            fleet=self.fleet,
            backfill=self.history,
            extra_findings=self.extra_findings,
        )

    @property
    def history(self) -> timedelta | None:
        """The metric history seeding writes: ``backfill``, else ``GROWN_FLEET_HISTORY`` for a fleet
        grown beyond the catalog's, else the workload's own (None)."""
        if self.backfill is not None:
            return self.backfill
        if self.fleet is not None:
            from tui.sim import catalog  # start-up time, as above

            places = 1
            if self.org:
                from tui.sim.org import SLOTS as places
            if self.fleet > len(catalog.INSTANCES) * places:
                return GROWN_FLEET_HISTORY
        return None

    def _check_fleet(self, size: int) -> None:
        """Refuse a ``fleet`` smaller than the catalog's (in each workload account and region)."""
        from tui.sim import catalog

        places = 1
        if self.org:
            from tui.sim.org import SLOTS as places
        problem = catalog.fleet_too_small(size, places)
        if problem:
            raise ValueError(problem)

    def _run_workload(self) -> None:
        if self.live:
            self._workload.start_metrics()
        if self._faults is not None and (self.live or self._runner is not None):
            self._faults.start_monitor()
        if self._runner is not None:
            self._runner.start()

    @property
    def workload(self) -> Any:
        return self._workload

    @property
    def faults(self) -> FaultEngine | None:
        """The fault engine (None without a workload)."""
        return self._faults

    @property
    def scenario_runner(self) -> ScenarioRunner | None:
        """What plays the scenario (None without one)."""
        return self._runner

    def stop(self) -> None:
        if self._gate is not None:
            self._gate.release()  # the requests it holds are answered (or fail) now
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None
        if self._runner is not None:
            self._runner.stop()
        if self._faults is not None:
            self._faults.close()
        if self._control is not None:
            control.unregister(self._control_port, self._control)
            self._control = None
        if self._workload is not None:
            self._workload.stop()
        for listener in (self._public, self._private):
            if listener is not None:
                listener.close()
        self._public = self._private = None

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Control:
    """The control API of one SimServer (``tui.sim.control``)."""

    def __init__(self, server: SimServer) -> None:
        self.server = server

    def _engine(self) -> FaultEngine:
        engine = self.server.faults
        if engine is None:
            if self.server.org:
                raise ValueError("this simulator is an organization (--org): it takes no faults yet")
            raise ValueError(
                "this simulator runs without a workload (--empty): it has nothing to inject into"
            )
        return engine

    def status(self) -> dict[str, Any]:
        engine = self.server.faults
        runner = self.server.scenario_runner
        if engine is not None:
            engine.refresh()
            catalogue = engine.catalogue()
            faults = [r.to_json() for r in engine.faults()]
            log = engine.log_entries(200)
        else:
            catalogue = [
                {
                    "id": s.id,
                    "title": s.title,
                    "target_kind": s.target_kind,
                    "default_target": "",
                    "targets": [],
                }
                for s in CATALOGUE
            ]
            faults, log = [], []
        return {
            "simulator": "warroom",
            "seed": None if self.server.empty else self.server.seed,
            "speed": self.server.effective_speed,
            "scenario": runner.status() if runner is not None else None,
            "catalogue": catalogue,
            "faults": faults,
            "schedule": runner.schedule() if runner is not None else [],
            "log": log,
        }

    def inject(self, fault: str, target: str | None, duration_s: float | None) -> dict[str, Any]:
        record = self._engine().start(fault, target, origin="facilitator", duration_s=duration_s)
        return record.to_json()

    def clear(self, fault: str, target: str | None) -> list[dict[str, Any]]:
        return [r.to_json() for r in self._engine().clear(fault, target, origin="facilitator")]
