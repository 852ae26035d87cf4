"""The live start's pieces: the background start and its steps, the first frame painted before
Textual, the simulator's gate that answers STS before the workload is seeded, and one parsed copy
of botocore's models per process."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import threading
from typing import Any

import pytest

from tui.common import splash
from tui.common.startup import Startup, StartupFailed
from tui.sim.account import SIM_ACCESS_KEY
from tui.sim.server import _SeedGate, _signed_for

DEADLINE_S = 10.0


def _blocked(release: threading.Event, *, fail: BaseException | None = None) -> Any:
    def run(startup: Startup) -> str:
        startup.step("seeding the fleet")
        if not release.wait(DEADLINE_S):
            raise AssertionError("the test never released the start")
        if fail is not None:
            raise fail
        return "started"

    return run


def test_a_start_says_its_step_until_it_is_done() -> None:
    release = threading.Event()
    startup = Startup("starting the simulator", _blocked(release)).start()
    for _ in range(100):
        if startup.stage.endswith("(seeding the fleet)"):
            break
        threading.Event().wait(0.02)
    assert startup.stage == "starting the simulator… (seeding the fleet)"
    assert not startup.done
    release.set()
    assert startup.result(DEADLINE_S) == "started"
    assert startup.stage == ""
    assert startup.failed is None


def test_a_refusal_reaches_the_console_in_its_own_words() -> None:
    release = threading.Event()
    release.set()
    refusal = SystemExit("warroom: the scenario cannot run: no stream named x")
    startup = Startup("starting the simulator", _blocked(release, fail=refusal)).start()
    with pytest.raises(StartupFailed, match=r"^warroom: the scenario cannot run: no stream named x$"):
        startup.result(DEADLINE_S)


def test_an_error_names_what_failed_and_fails_the_waiters_of_reachable_too() -> None:
    release = threading.Event()
    release.set()
    startup = Startup("starting the simulator", _blocked(release, fail=OSError("boom"))).start()

    async def waits() -> None:
        with pytest.raises(StartupFailed, match="starting the simulator failed: boom"):
            await asyncio.wait_for(startup.wait_reachable(), DEADLINE_S)

    asyncio.run(waits())


def test_reachable_comes_before_the_end() -> None:
    release = threading.Event()

    def run(startup: Startup) -> None:
        startup.reachable()
        release.wait(DEADLINE_S)

    startup = Startup("starting the simulator", run).start()

    async def waits() -> None:
        await asyncio.wait_for(startup.wait_reachable(), DEADLINE_S)
        assert not startup.done

    try:
        asyncio.run(waits())
    finally:
        release.set()


def test_the_first_frame_has_the_title_bar_on_top_and_the_message_in_the_middle() -> None:
    painted = splash.frame("warroom · DEMO", "starting the simulator…", 80, 24)
    assert painted.startswith(splash.ENTER)
    assert "\x1b[7m warroom · DEMO" + " " * (80 - len(" warroom · DEMO")) + "\x1b[0m" in painted
    col = (80 - len("starting the simulator…")) // 2 + 1
    assert painted.endswith(f"\x1b[12;{col}Hstarting the simulator…")


def test_the_first_frame_fits_a_narrow_terminal() -> None:
    painted = splash.frame("warroom · DEMO", "starting the simulator…", 10, 3)
    assert "\x1b[7m warroom ·\x1b[0m" in painted
    assert painted.endswith("\x1b[2;1Hstarting t")


def test_nothing_is_painted_where_there_is_no_terminal() -> None:
    out = io.StringIO()
    assert not splash.paint("warroom", "reading identity…", out)
    assert out.getvalue() == ""


def _environ(service: str | None, path: str = "/", key: str = SIM_ACCESS_KEY) -> dict[str, Any]:
    environ: dict[str, Any] = {"PATH_INFO": path}
    if service is not None:
        environ["HTTP_AUTHORIZATION"] = (
            f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=abc"
        )
    return environ


def test_the_service_of_a_signed_request() -> None:
    assert _signed_for(_environ("sts")) == "sts"
    assert _signed_for(_environ("ec2")) == "ec2"
    assert _signed_for(_environ(None)) == ""


def test_the_gate_answers_sts_at_once_and_holds_the_rest_until_seeded() -> None:
    answered: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        answered.append(_signed_for(environ) or "unsigned")
        return [b""]

    def held(service: str | None) -> threading.Thread:
        thread = threading.Thread(target=gate, args=(_environ(service), None), daemon=True)
        thread.start()
        return thread

    gate = _SeedGate(app)
    resources = [held("ec2"), held(None)]
    metrics = held("monitoring")
    gate(_environ("sts"), None)
    assert answered == ["sts"]
    for thread in (*resources, metrics):
        thread.join(0.2)
        assert thread.is_alive(), "a request was answered before the workload was seeded"
    gate.seed_done()
    for thread in resources:
        thread.join(DEADLINE_S)
    assert sorted(answered) == ["ec2", "sts", "unsigned"]
    metrics.join(0.2)
    assert metrics.is_alive(), "CloudWatch answered before the metrics' history was written"
    gate.release()
    metrics.join(DEADLINE_S)
    assert sorted(answered) == ["ec2", "monitoring", "sts", "unsigned"]


def _recording_gate() -> tuple[_SeedGate, list[str]]:
    answered: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        answered.append(_signed_for(environ) or "unsigned")
        return [b""]

    return _SeedGate(app), answered


def _asking(gate: _SeedGate, environ: dict[str, Any]) -> threading.Thread:
    thread = threading.Thread(target=gate, args=(environ, None), daemon=True)
    thread.start()
    return thread


def test_a_service_already_seeded_is_answered_while_another_is_still_being_seeded() -> None:
    gate, answered = _recording_gate()
    ec2 = _asking(gate, _environ("ec2"))
    hub = _asking(gate, _environ("securityhub"))
    ec2.join(0.2)
    assert ec2.is_alive(), "EC2 was answered before its resources were seeded"
    gate.ready({"ec2", "kinesis"})
    ec2.join(DEADLINE_S)
    assert not ec2.is_alive()
    assert answered == ["ec2"]
    gate(_environ("kinesis"), None)
    assert answered == ["ec2", "kinesis"]
    hub.join(0.2)
    assert hub.is_alive(), "Security Hub was answered while its findings were still being imported"
    gate.ready({"securityhub"})
    hub.join(DEADLINE_S)
    assert answered == ["ec2", "kinesis", "securityhub"]


def test_a_seeded_service_asked_for_another_account_waits_for_everything() -> None:
    gate, answered = _recording_gate()
    gate.ready({"ec2"})
    member = _asking(gate, _environ("ec2", key="ASIAMEMBERROLEKEY123"))
    member.join(0.2)
    assert member.is_alive(), "a role's request was answered before the member account was seeded"
    gate(_environ("ec2"), None)
    assert answered == ["ec2"]
    gate.seed_done()
    member.join(DEADLINE_S)
    assert answered == ["ec2", "ec2"]


def test_the_metrics_wait_for_the_requests_being_answered() -> None:
    entered, leave = threading.Event(), threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        entered.set()
        if not leave.wait(DEADLINE_S):
            raise AssertionError("the test never let the answer end")
        return [b"done"]

    gate = _SeedGate(app)
    gate.seed_done()
    answering = _asking(gate, _environ("ec2"))
    assert entered.wait(DEADLINE_S)
    assert not gate.wait_quiet(0.1), "quiet while EC2 was being answered"
    leave.set()
    assert gate.wait_quiet(DEADLINE_S)
    answering.join(DEADLINE_S)


def test_a_request_answered_before_the_seeding_ends_draws_moto_ids_aside() -> None:
    from tui.sim import randomness

    drew: list[bool] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        drew.append(randomness.drawing_aside())
        return [b""]

    gate = _SeedGate(app)
    gate(_environ("sts"), None)
    gate.ready({"ec2"})
    gate(_environ("ec2"), None)
    gate.seed_done()
    gate(_environ("ec2"), None)
    assert drew == [True, True, False]


def test_botocore_sessions_share_one_parse_of_the_models_read_as_plain_dicts() -> None:
    code = (
        "import botocore.session\n"
        "from tui.sim import botocore_data\n"
        "botocore_data.install()\n"
        "a, b = botocore.session.Session(), botocore.session.Session()\n"
        "print(a.get_component('data_loader') is b.get_component('data_loader'))\n"
        "print(a.get_service_model('ec2').operation_names == b.get_service_model('ec2').operation_names)\n"
        "import moto.core.utils\n"
        "print(moto.core.utils.create_loader() is moto.core.utils.create_loader())\n"
        "print('CreateBucket' in moto.core.utils.get_service_model('s3').operation_names)\n"
        "models = [a.get_component('data_loader').load_service_model('ec2', 'service-2'),\n"
        "          moto.core.utils.create_loader().load_service_model('ec2', 'service-2')]\n"
        "print(all(type(m) is dict and type(m['shapes']) is dict for m in models))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["True", "True", "True", "True", "True"]
