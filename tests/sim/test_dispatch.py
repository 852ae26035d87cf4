"""moto's dispatcher finds the service of a host once, and answers the same as before."""

from __future__ import annotations

from typing import Any

import pytest

from tui.sim import dispatch


def test_the_service_of_a_host_is_looked_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    dispatch.install()
    listed: list[int] = []
    original = backends.list_of_moto_modules

    def counting() -> Any:
        listed.append(1)
        return original()

    monkeypatch.setattr(backends, "list_of_moto_modules", counting)
    app = DomainDispatcherApplication(create_backend_app)
    found = [app.get_backend_for_host("kinesis.ap-south-2.amazonaws.com") for _ in range(3)]
    assert found == ["kinesis", "kinesis", "kinesis"]
    assert len(listed) == 1, "the host's service was looked up again"
    looked_up = DomainDispatcherApplication.get_backend_for_host.__dict__["warroom_original"]
    for host in ("ec2.us-east-1.amazonaws.com", "securityhub.us-east-1.amazonaws.com", "moto_api", None):
        assert app.get_backend_for_host(host) == looked_up(app, host)


def test_installing_twice_keeps_one_layer() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    dispatch.install()
    first = DomainDispatcherApplication.__dict__["get_backend_for_host"]
    dispatch.install()
    assert DomainDispatcherApplication.__dict__["get_backend_for_host"] is first


def test_a_route_compiles_its_url_builder_only_when_a_url_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import Map, Rule

    dispatch.install()
    compiled: list[str] = []
    original = Rule._get_func_code

    def counting(code: Any, name: str) -> Any:
        compiled.append(name)
        return original(code, name)

    monkeypatch.setattr(Rule, "_get_func_code", staticmethod(counting))
    routes = Map([Rule("/stream/<name>", endpoint="stream"), Rule("/", endpoint="root")])
    adapter = routes.bind("example.com")
    assert adapter.match("/stream/payments") == ("stream", {"name": "payments"})
    assert compiled == [], "a URL builder was compiled before any URL was built"
    assert adapter.build("stream", {"name": "ledger"}) == "/stream/ledger"
    assert adapter.build("stream", {"name": "ledger", "page": 2}) == "/stream/ledger?page=2"
    assert compiled and all("/stream/" in name for name in compiled), "only the route built compiles"


def test_the_actions_of_a_response_class_are_listed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    import moto.core.responses as responses
    from moto.kinesis.responses import KinesisResponse

    dispatch.install()
    listed: list[object] = []
    getmembers = inspect.getmembers

    def counting(obj: Any, predicate: Any = None) -> Any:
        listed.append(obj)
        return getmembers(obj, predicate)

    monkeypatch.setattr(inspect, "getmembers", counting)
    first = responses.method_names_from_class(KinesisResponse)
    second = responses.method_names_from_class(KinesisResponse)
    assert "list_streams" in first and "describe_stream_summary" in first
    assert first == second and first is not second
    assert listed.count(KinesisResponse) <= 1, "the class's methods were listed again"
