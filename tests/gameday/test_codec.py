"""The codec (tui.common.codec): real poll snapshots from the simulator survive encode -> JSON text
-> decode unchanged, every supported type round-trips, and a value of the wrong shape is refused
with the path to it, whether read from JSON text or from values already parsed.

The pollers read the seeded us-east-1 workload of the session simulator and change nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import importlib.util
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, Generic, Literal, TypeVar

import pytest

from tui.aws import findings, kinesis, limits
from tui.aws.errors import AwsProblem, ErrorKind
from tui.aws.findings_model import Finding
from tui.aws.outcome import Outcome
from tui.aws.overview import Ec2Card, OverviewSnapshot
from tui.common.codec import CodecError, NotJSON, convert, decode, encode, parse_json
from tui.gameday.events import JournalEvent
from tui.gameday.record import PANES, snapshot_class
from tui.panes import poll_every_pane

REGION = "us-east-1"
REAL_PANES = ("overview", "limits", "kinesis", "findings", "sessions")


async def _poll_all(sim_url: str) -> dict[str, Any]:
    every = await poll_every_pane(sim_url, REGION)
    return {pane: every[pane] for pane in REAL_PANES}


def poll_all(sim_url: str) -> dict[str, Any]:
    """One snapshot of each real pane, read from the session simulator's seeded workload."""
    return asyncio.run(_poll_all(sim_url))


@pytest.fixture(scope="module")
def real(sim_url: str) -> dict[str, Any]:
    return poll_all(sim_url)


T = TypeVar("T")


def through_json(obj: Any) -> Any:
    return json.loads(encode(obj))


def read(cls: Any, data: Any) -> Any:
    """``data`` (JSON values) decoded as JSON text; converting the values must give the same."""
    failures: list[CodecError] = []
    results = []
    for run in (lambda: convert(cls, data), lambda: decode(cls, json.dumps(data))):
        try:
            results.append(run())
        except CodecError as exc:
            failures.append(exc)
    if failures:
        assert len(failures) == 2, "text and values must fail alike"
        assert (str(failures[0]), failures[0].steps) == (str(failures[1]), failures[1].steps)
        raise failures[1]
    assert results[0] == results[1]
    return results[1]


# ---------------------------------------------------------------------------------------------
# Real snapshots
# ---------------------------------------------------------------------------------------------


def test_the_real_snapshots_are_worth_testing(real: dict[str, Any]) -> None:
    assert real["overview"].error is None and real["overview"].regions, "overview poll failed"
    assert real["limits"].instances, "the seeded workload should have instances"
    assert any(i.volumes for i in real["limits"].instances), "instances should have volumes"
    assert real["kinesis"].streams, "the seeded workload should have streams"
    assert real["findings"].findings, "the seeded workload should have findings"
    assert real["sessions"].instances, "the seeded workload should have managed instances"


@pytest.mark.parametrize("pane", REAL_PANES)
def test_a_real_snapshot_round_trips_through_json(real: dict[str, Any], pane: str) -> None:
    original = real[pane]
    assert isinstance(original, snapshot_class(pane))
    text = encode(original)
    back: object = decode(snapshot_class(pane), text)
    assert back == original
    assert type(back) is type(original)
    # Encoding the decoded snapshot writes the same JSON: nothing was lost or reshaped.
    assert encode(back) == text


def test_decoded_snapshots_keep_their_types(real: dict[str, Any]) -> None:
    snap: OverviewSnapshot = read(OverviewSnapshot, through_json(real["overview"]))
    region = snap.regions[0]
    assert isinstance(snap.regions, tuple)
    assert isinstance(region.ec2, Outcome)
    assert region.ec2.value is None or isinstance(region.ec2.value, Ec2Card)
    assert snap.fetched_at.tzinfo is not None
    lim = read(limits.LimitsSnapshot, through_json(real["limits"]))
    assert all(isinstance(k, int) for k in lim.periods), "dict[int, int] keys come back as ints"
    assert isinstance(lim.instances[0].tags, tuple)
    found = read(findings.FindingsSnapshot, through_json(real["findings"]))
    assert isinstance(found.findings[0], Finding)
    assert found.findings[0].key == real["findings"].findings[0].key


def test_a_wrong_value_deep_inside_names_its_path(real: dict[str, Any]) -> None:
    data = through_json(real["limits"])
    index = next(n for n, inst in enumerate(data["instances"]) if inst["volumes"])
    data["instances"][index]["volumes"][0]["iops"] = "x"
    with pytest.raises(CodecError) as caught:
        read(limits.LimitsSnapshot, data)
    assert str(caught.value) == f"instances[{index}].volumes[0].iops: expected a number, got 'x'"
    assert caught.value.path == f"instances[{index}].volumes[0].iops"


def test_wrong_shapes_are_refused_with_their_paths(real: dict[str, Any]) -> None:
    data = through_json(real["kinesis"])
    data["streams"] = {"not": "a list"}
    with pytest.raises(CodecError, match=r"^streams: expected a list, got an object$"):
        read(kinesis.KinesisSnapshot, data)
    data = through_json(real["findings"])
    data["findings"][2]["first_observed_at"] = "yesterday"
    with pytest.raises(CodecError, match=r"^findings\[2\]\.first_observed_at: expected an ISO 8601 time"):
        read(findings.FindingsSnapshot, data)
    data = through_json(real["overview"])
    data["regions"][0]["ec2"]["problem"] = {"kind": "gremlins", "message": "m", "hint": "h"}
    with pytest.raises(CodecError, match=r"^regions\[0\]\.ec2\.problem\.kind: expected one of"):
        read(OverviewSnapshot, data)
    data = through_json(real["limits"])
    data["periods"] = {"sixty": 1}
    with pytest.raises(CodecError, match=r"^periods\['sixty'\]: expected an integer key"):
        read(limits.LimitsSnapshot, data)


def test_unknown_keys_are_ignored_and_missing_ones_take_the_default(real: dict[str, Any]) -> None:
    data = through_json(real["kinesis"])
    data["added_in_a_later_version"] = [1, 2, 3]
    data["streams"][0]["another_new_field"] = {"x": 1}
    for key in ("queries", "calls", "errors"):
        del data[key]
    back = read(kinesis.KinesisSnapshot, data)
    assert back.streams == real["kinesis"].streams
    assert back.queries == 0 and back.calls == {} and back.errors == ()


def test_a_missing_required_field_is_named() -> None:
    with pytest.raises(CodecError, match=r"^fetched_at: missing$"):
        read(kinesis.KinesisSnapshot, {"streams": []})
    with pytest.raises(CodecError, match=r"^expected an object \(KinesisSnapshot\), got a list$"):
        read(kinesis.KinesisSnapshot, [])


def test_fis_snapshot_round_trips() -> None:
    if importlib.util.find_spec("tui.aws.fis") is None:
        pytest.skip("tui/aws/fis.py is not written yet, so there is no FisSnapshot to round-trip")
    from tui.aws import fis

    cls = snapshot_class("fis")
    assert cls is fis.FisSnapshot
    at = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    tags = (("warroom:fault", "ebs-instance-cap"), ("warroom:target", "i-0abc"))
    snap = fis.FisSnapshot(
        fetched_at=at,
        templates=(
            fis.TemplateView(
                region=REGION,
                template_id="EXT1",
                description="cap EBS",
                fault="ebs-instance-cap",
                targets=("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc",),
                actions=("aws:ec2:stop-instances",),
                role_arn="arn:aws:iam::123456789012:role/fis",
                stop_conditions=("none",),
                tags=tags,
            ),
        ),
        experiments=(
            fis.ExperimentView(
                region=REGION,
                experiment_id="EXP1",
                template_id="EXT1",
                status="running",
                reason="",
                fault="ebs-instance-cap",
                target="i-0abc",
                origin="fis",
                started_at=at - timedelta(minutes=3),
                ended_at=None,
                tags=tags,
            ),
        ),
        error=AwsProblem(ErrorKind.THROTTLED, "slow down", "wait"),
        calls={"fis:ListExperiments": 2},
    )
    assert read(cls, through_json(snap)) == snap


def test_alarms_snapshot_round_trips() -> None:
    """Metric, metric-math and composite alarms with their history, as a recording holds them."""
    from tests.alarms_aws import composite_alarm, history_entry, metric_alarm, scale_up_alarm
    from tui.aws.alarms import AlarmsSnapshot
    from tui.aws.alarms_model import composite_alarm as composite
    from tui.aws.alarms_model import history_item
    from tui.aws.alarms_model import metric_alarm as metric
    from tui.aws.outcome import ApiError

    at = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    item = history_item(history_entry("cpu", at, "OK", "ALARM", "crossed"))
    assert item is not None
    alarms = (
        metric(metric_alarm("cpu", "ALARM"), REGION).with_history((item,)),
        metric(scale_up_alarm(), REGION),
        composite(composite_alarm(), REGION),
    )
    snap = AlarmsSnapshot(
        fetched_at=at,
        alarms=alarms,
        errors=(ApiError(REGION, "cloudwatch:DescribeAlarmHistory", "throttled"),),
        history_reads=1,
        calls={"cloudwatch:DescribeAlarms": 1},
    )
    assert read(AlarmsSnapshot, through_json(snap)) == snap


def test_panes_and_snapshot_class() -> None:
    assert set(PANES) == {"overview", "limits", "kinesis", "findings", "sessions", "fis", "alarms"}
    assert snapshot_class("limits") is limits.LimitsSnapshot
    with pytest.raises(KeyError, match="no pane 'nope'"):
        snapshot_class("nope")


# ---------------------------------------------------------------------------------------------
# Every supported type
# ---------------------------------------------------------------------------------------------


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True, slots=True)
class Leaf:
    name: str
    weight: float = 0.0


@dataclass(frozen=True)
class Box(Generic[T]):
    items: tuple[T, ...] = ()
    best: T | None = None


@dataclass(frozen=True)
class Everything:
    when: datetime
    pair: tuple[int, str]
    many: tuple[Leaf, ...]
    listed: list[float]
    by_id: dict[int, Leaf]
    by_name: Mapping[str, Leaf]
    frozen: frozenset[str]
    maybe: Leaf | None
    mode: Literal["fast", "slow"]
    colour: Colour
    raw: Any
    boxed: Box[Leaf]
    nested_box: Box[tuple[int, ...]]
    proxy: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    empty: tuple[()] = ()
    derived: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "derived", len(self.many))


def everything() -> Everything:
    return Everything(
        when=datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2))),
        pair=(7, "seven"),
        many=(Leaf("a", 0.1 + 0.2), Leaf("b", 1e-300), Leaf("c", 1 / 3)),
        listed=[2.5, -0.0, 1e308],
        by_id={1: Leaf("one"), 20: Leaf("twenty", 2.0)},
        by_name=MappingProxyType({"x": Leaf("x")}),
        frozen=frozenset({"b", "a"}),
        maybe=None,
        mode="slow",
        colour=Colour.BLUE,
        raw={"list": [1, "two", None], "nested": {"deep": True}},
        boxed=Box((Leaf("p"), Leaf("q")), Leaf("q")),
        nested_box=Box(((1, 2), ()), (3,)),
        proxy=MappingProxyType({"k": "v"}),
    )


def test_every_supported_type_round_trips() -> None:
    original = everything()
    back = read(Everything, through_json(original))
    assert back == original
    assert back.when.utcoffset() == timedelta(hours=2), "the time zone is kept"
    assert back.many[0].weight == 0.1 + 0.2 and back.many[2].weight == 1 / 3, "floats are exact"
    assert isinstance(back.by_id, dict) and set(back.by_id) == {1, 20}
    assert isinstance(back.by_name, Mapping) and back.by_name == {"x": Leaf("x")}
    assert isinstance(back.proxy, Mapping) and back.proxy == {"k": "v"}
    assert isinstance(back.frozen, frozenset)
    assert isinstance(back.colour, Colour)
    assert isinstance(back.boxed.best, Leaf), "the type parameter of Box[Leaf] is substituted"
    assert back.nested_box.items == ((1, 2), ())
    assert back.derived == 3


def test_init_false_fields_are_written_and_computed_again_when_read() -> None:
    data = through_json(everything())
    assert data["derived"] == 3
    assert read(Everything, dict(data, derived=99)).derived == 3
    assert sorted(data["frozen"]) == ["a", "b"]
    assert data["by_id"] == {"1": {"name": "one", "weight": 0.0}, "20": {"name": "twenty", "weight": 2.0}}


def test_literal_fixed_tuple_and_optional_are_checked() -> None:
    data = through_json(everything())
    bad = dict(data, mode="medium")
    with pytest.raises(CodecError, match=r"^mode: expected one of 'fast', 'slow', got 'medium'$"):
        read(Everything, bad)
    bad = dict(data, pair=[1, "one", "extra"])
    with pytest.raises(CodecError, match=r"^pair: expected a list of 2 items, got 3$"):
        read(Everything, bad)
    bad = dict(data, maybe=5)
    with pytest.raises(CodecError, match=r"^maybe: expected an object \(Leaf\), got 5$"):
        read(Everything, bad)
    bad = dict(data, boxed={"items": [{"name": 3}]})
    with pytest.raises(CodecError, match=r"^boxed\.items\[0\]\.name: expected a string, got 3$"):
        read(Everything, bad)


def test_outcome_of_a_card_round_trips() -> None:
    ok: Outcome[Ec2Card] = Outcome(value=Ec2Card({"running": 3}, 12, Outcome(value=64.0)))
    failed: Outcome[Ec2Card] = Outcome(
        problem=AwsProblem(ErrorKind.PERMISSION, "denied", "grant it", "AccessDenied", "DescribeInstances")
    )
    for value in (ok, failed):
        assert read(Outcome[Ec2Card], through_json(value)) == value


def test_journal_events_round_trip_with_their_detail_mapping() -> None:
    event = JournalEvent(
        at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
        kind="detected",
        source="limits",
        text="EBS at 97%",
        resource="i-0abc",
        metric="instance.ebs",
        value=0.97,
        limit=0.95,
        detail=MappingProxyType({"name": "web-1"}),
    )
    back = read(JournalEvent, through_json(event))
    assert back == event
    assert isinstance(back.detail, MappingProxyType)


def test_what_cannot_be_encoded_is_named() -> None:
    with pytest.raises(CodecError, match=r"^by_name\['x'\]\.weight: cannot encode a object$"):
        encode(dataclasses.replace(everything(), by_name={"x": Leaf("x", object())}))  # type: ignore[arg-type]
    with pytest.raises(CodecError, match=r"^a mapping key must be text or a number, not \(1, 2\)$"):
        encode({(1, 2): "tuple key"})


class Opaque:
    """A type with no reader the codec knows."""


@dataclass(frozen=True)
class HoldsOpaque:
    inner: Opaque


def test_a_field_of_a_type_the_codec_cannot_read_is_a_codec_error_naming_where() -> None:
    with pytest.raises(CodecError, match=r"inner: the codec cannot read values of type 'Opaque'"):
        decode(HoldsOpaque, b'{"inner": 1}')


def test_parse_json_reads_what_json_loads_reads_and_refuses_a_cut_document() -> None:
    body = (
        b'{"MetricDataResults":[{"Id":"q0","Label":"NetworkIn","Timestamps":[1765130040,1765129980.5],'
        b'"Values":[1.5e9,0],"StatusCode":"Complete"},{"Id":"q1","Timestamps":[],"Values":[]}],'
        b'"Messages":[{"Code":"MaxMetricsExceeded","Value":"\\u00e9"}],"NextToken":null}'
    )
    assert parse_json(body) == json.loads(body)
    assert parse_json(b"null") is None
    for cut in (body[:-1], b"", b"{'a': 1}", b"\xff"):
        with pytest.raises(NotJSON):
            parse_json(cut)
