"""``QueryPlan``'s incremental reads: which queries a cycle sends, and what it answers for the rest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from tui.aws.metrics import MetricBatch, MetricQuery, QueryPlan, get_metric_data

T = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # on a 5-minute boundary


class FakeCloudWatch:
    """Answers GetMetricData from ``points`` (key -> [(time, value)], newest first), botocore-parsed."""

    meta = SimpleNamespace(service_model=SimpleNamespace(resolved_protocol="query"))

    def __init__(self, plan: QueryPlan, points: dict[str, list[tuple[datetime, float]]]) -> None:
        self.plan, self.points = plan, points
        self.asked: list[str] = []
        self.starts: dict[str, datetime] = {}

    async def get_metric_data(self, **params: Any) -> dict[str, Any]:
        results = []
        for query in params["MetricDataQueries"]:
            key = self.plan.keys[int(query["Id"][1:])]
            self.asked.append(key)
            start, end = params["StartTime"], params["EndTime"]
            self.starts[key] = start
            inside = [(t, v) for t, v in self.points.get(key, []) if start <= t < end]
            results.append(
                {"Id": query["Id"], "Timestamps": [t for t, _ in inside], "Values": [v for _, v in inside]}
            )
        return {"MetricDataResults": results}


class FakeFactory:
    def __init__(self, client: FakeCloudWatch) -> None:
        self.fake = client

    async def client(self, service: str, region: str, role_arn: str | None = None) -> FakeCloudWatch:
        return self.fake


def read(
    plan: QueryPlan, cloudwatch: FakeCloudWatch, at: datetime, spread: dict[str, int] | None = None
) -> tuple[MetricBatch, list[str]]:
    cloudwatch.asked = []
    batch = asyncio.run(
        get_metric_data(
            FakeFactory(cloudwatch),  # type: ignore[arg-type]
            "us-east-1",
            plan,
            at - timedelta(minutes=20),
            at,
            incremental=True,
            spread=spread,
        )
    )
    return batch, sorted(cloudwatch.asked)


def test_each_query_is_sent_once_its_next_period_can_exist() -> None:
    plan = QueryPlan(
        [
            MetricQuery("net", "AWS/EC2", "NetworkIn", (("InstanceId", "i-1"),), "Sum", 60),
            MetricQuery("basic", "AWS/EC2", "NetworkIn", (("InstanceId", "i-2"),), "Sum", 300),
            MetricQuery("mem", "CWAgent", "mem_used_percent", (("InstanceId", "i-1"),), "Average", 60),
            MetricQuery("idle", "AWS/EBS", "VolumeReadOps", (("VolumeId", "vol-1"),), "Sum", 60),
        ]
    )
    points = {
        "net": [(T - timedelta(minutes=1), 10.0), (T - timedelta(minutes=2), 9.0)],
        "basic": [(T - timedelta(minutes=5), 50.0)],
        "mem": [(T - timedelta(minutes=1), 40.0)],
    }
    cloudwatch = FakeCloudWatch(plan, points)
    batch, asked = read(plan, cloudwatch, T + timedelta(seconds=10))
    assert asked == ["basic", "idle", "mem", "net"]  # nothing known yet: every query
    assert batch.queries == 4 and batch.calls == 1

    # 30 s later: AWS/EC2's minute T ends at T + 60 s; the agent may already have sent it; the
    # idle volume may have started.
    batch, asked = read(plan, cloudwatch, T + timedelta(seconds=40))
    assert asked == ["idle", "mem"] and batch.queries == 2
    assert batch.newest("net") == ((T - timedelta(minutes=1)).timestamp(), 10.0)
    held = batch.get("net")
    assert held is not None and list(held.values) == [10.0]  # the newest point, as last read
    assert batch.get("idle") is None  # asked again, and still nothing
    # Neither the agent's series, asked again with the same newest point, nor the idle volume's
    # brought anything new: an instance of these has nothing to derive again.
    assert not batch.read_any(["net", "mem", "idle", "basic"])
    points["idle"] = [(T - timedelta(seconds=60), 3.0)]

    batch, asked = read(plan, cloudwatch, T + timedelta(seconds=61))
    assert asked == ["idle", "mem", "net"]  # the 5-minute series waits for T + 5 min
    assert batch.read_any(["idle"]) and batch.newest("idle") == ((T - timedelta(seconds=60)).timestamp(), 3.0)
    points["net"].insert(0, (T, 11.0))
    batch, asked = read(plan, cloudwatch, T + timedelta(seconds=90))
    assert "net" in asked and batch.newest("net") == (T.timestamp(), 11.0)
    batch, asked = read(plan, cloudwatch, T + timedelta(seconds=100))
    assert "net" not in asked  # minute T + 1 cannot exist before T + 2 min

    _, asked = read(plan, cloudwatch, T + timedelta(minutes=5))
    assert "basic" in asked


def test_a_full_read_sends_every_query_and_counts_them() -> None:
    queries = [
        MetricQuery(f"v{n}", "AWS/EBS", "VolumeReadOps", (("VolumeId", f"vol-{n}"),), "Sum", 60)
        for n in range(1200)
    ]
    plan = QueryPlan(queries)
    cloudwatch = FakeCloudWatch(plan, {f"v{n}": [(T - timedelta(minutes=1), 1.0)] for n in range(1200)})
    batch = asyncio.run(
        get_metric_data(FakeFactory(cloudwatch), "us-east-1", plan, T - timedelta(hours=1), T)  # type: ignore[arg-type]
    )
    assert batch.queries == 1200 and batch.calls == 3 and len(cloudwatch.asked) == 1200
    again, asked = read(plan, cloudwatch, T + timedelta(seconds=30))
    assert asked == [] and again.calls == 0  # a full read tells the plan what is held too
    assert again.newest("v7") == ((T - timedelta(minutes=1)).timestamp(), 1.0)


def fleet_plan(instances: int) -> QueryPlan:
    """Each instance ``i-N``: its network and its volume's operations, one group."""
    return QueryPlan(
        [
            MetricQuery(key, ns, metric, dims, "Sum", 60, group=f"i-{n}")
            for n in range(instances)
            for key, ns, metric, dims in (
                (f"i-{n}|NetworkIn", "AWS/EC2", "NetworkIn", (("InstanceId", f"i-{n}"),)),
                (f"vol-{n}|VolumeReadOps", "AWS/EBS", "VolumeReadOps", (("VolumeId", f"vol-{n}"),)),
            )
        ]
    )


def minutes(plan: QueryPlan, *stamps: datetime) -> dict[str, list[tuple[datetime, float]]]:
    return {key: [(t, 1.0 + n) for n, t in enumerate(stamps)] for key in plan.keys}


def test_a_large_fleets_new_minute_is_read_half_now_busiest_first_and_the_rest_next_cycle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tui.aws.metrics.SPREAD_QUERIES", 4)
    plan = fleet_plan(6)
    busiest = {f"i-{n}": 5 - n for n in range(6)}  # i-5 first
    cloudwatch = FakeCloudWatch(plan, minutes(plan, T - timedelta(minutes=1)))
    _, asked = read(plan, cloudwatch, T + timedelta(seconds=10), busiest)
    assert len(asked) == 12  # never read: all at once, however many

    cloudwatch.points = minutes(plan, T, T - timedelta(minutes=1))
    batch, asked = read(plan, cloudwatch, T + timedelta(seconds=70), busiest)
    # The minute fell due for all 12: half, whole instances, the busiest first.
    assert {key.split("|")[0][-1] for key in asked} == {"3", "4", "5"} and len(asked) == 6
    assert batch.newest("i-5|NetworkIn") == (T.timestamp(), 1.0)
    assert batch.newest("i-0|NetworkIn") == ((T - timedelta(minutes=1)).timestamp(), 1.0)  # held

    batch, asked = read(plan, cloudwatch, T + timedelta(seconds=100), busiest)
    assert {key.split("|")[0][-1] for key in asked} == {"0", "1", "2"} and len(asked) == 6
    assert batch.newest("vol-0|VolumeReadOps") == (T.timestamp(), 1.0)

    # The next minute can exist from T + 2 min: due for all again, the busiest half read first.
    cloudwatch.points = minutes(plan, T + timedelta(minutes=1), T)
    batch, asked = read(plan, cloudwatch, T + timedelta(seconds=130), busiest)
    assert {key.split("|")[0][-1] for key in asked} == {"3", "4", "5"}
    assert batch.newest("i-3|NetworkIn") == ((T + timedelta(minutes=1)).timestamp(), 1.0)


def test_a_spread_read_that_found_nothing_new_leaves_the_other_half_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The busiest half, read before its minute arrived, waits while the half left unread is read:
    each read still reads half of what is due, not the whole fleet."""
    monkeypatch.setattr("tui.aws.metrics.SPREAD_QUERIES", 4)
    plan = fleet_plan(6)
    busiest = {f"i-{n}": 5 - n for n in range(6)}
    cloudwatch = FakeCloudWatch(plan, minutes(plan, T - timedelta(minutes=1)))
    read(plan, cloudwatch, T + timedelta(seconds=10), busiest)
    batch, asked = read(plan, cloudwatch, T + timedelta(seconds=70), busiest)
    assert {key.split("|")[0][-1] for key in asked} == {"3", "4", "5"}
    assert not batch.series  # minute T has not arrived: nothing new

    cloudwatch.points = minutes(plan, T, T - timedelta(minutes=1))
    batch, asked = read(plan, cloudwatch, T + timedelta(seconds=100), busiest)
    assert {key.split("|")[0][-1] for key in asked} == {"0", "1", "2"} and len(asked) == 6
    assert batch.newest("i-0|NetworkIn") == (T.timestamp(), 1.0)
    batch, asked = read(plan, cloudwatch, T + timedelta(seconds=130), busiest)
    assert {key.split("|")[0][-1] for key in asked} == {"3", "4", "5"}
    assert batch.newest("i-5|NetworkIn") == (T.timestamp(), 1.0)


def test_a_new_plan_reads_first_what_the_old_one_left_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.aws.metrics.SPREAD_QUERIES", 4)
    plan = fleet_plan(6)
    busiest = {f"i-{n}": 5 - n for n in range(6)}
    cloudwatch = FakeCloudWatch(plan, minutes(plan, T - timedelta(minutes=1)))
    read(plan, cloudwatch, T + timedelta(seconds=10), busiest)
    cloudwatch.points = minutes(plan, T, T - timedelta(minutes=1))
    _, asked = read(plan, cloudwatch, T + timedelta(seconds=70), busiest)
    assert {key.split("|")[0][-1] for key in asked} == {"3", "4", "5"}

    # The inventory changed (one more instance): its plan takes over, the half left unread first.
    grown = fleet_plan(7)
    renewed = QueryPlan(list(grown.queries), previous=plan)
    cloudwatch.plan = renewed
    cloudwatch.points = minutes(renewed, T, T - timedelta(minutes=1))
    _, asked = read(renewed, cloudwatch, T + timedelta(seconds=100), busiest)
    assert {key.split("|")[0][-1] for key in asked} == {"0", "1", "2", "6"}  # i-6: never read


def test_a_read_of_few_new_points_or_without_an_order_is_not_spread(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = fleet_plan(6)
    cloudwatch = FakeCloudWatch(plan, minutes(plan, T - timedelta(minutes=1)))
    read(plan, cloudwatch, T + timedelta(seconds=10), {})
    cloudwatch.points = minutes(plan, T, T - timedelta(minutes=1))
    _, asked = read(plan, cloudwatch, T + timedelta(seconds=70), {})
    assert len(asked) == 12  # 12 fell due: under SPREAD_QUERIES

    monkeypatch.setattr("tui.aws.metrics.SPREAD_QUERIES", 4)
    cloudwatch.points = minutes(plan, T + timedelta(minutes=1), T)
    _, asked = read(plan, cloudwatch, T + timedelta(seconds=130))
    assert len(asked) == 12  # no ``spread``: every query due


class Published(FakeCloudWatch):
    """A one-minute AWS/EC2 series whose point for minute T arrives at T + 60 s + ``delay``: a read
    sees only the points arrived by its end time."""

    def __init__(self, plan: QueryPlan, delay: float) -> None:
        super().__init__(plan, {})
        self.delay = delay

    async def get_metric_data(self, **params: Any) -> dict[str, Any]:
        end = params["EndTime"]
        newest = end - timedelta(seconds=60 + self.delay)
        last = newest.replace(second=0, microsecond=0)
        self.points = {"net": [(last - timedelta(minutes=k), 1.0 + k) for k in range(10)]}
        return await super().get_metric_data(**params)


def test_a_series_is_read_once_a_minute_in_the_first_cycle_after_its_point_arrives() -> None:
    """Polled every 30 s, a one-minute series that publishes each minute 40 s after it ends is read
    in every cycle until its delay is learnt, then once a minute: every point still read in the
    first cycle after it arrived."""
    plan = QueryPlan([MetricQuery("net", "AWS/EC2", "NetworkIn", (("InstanceId", "i-1"),), "Sum", 60)])
    cloudwatch = Published(plan, delay=40.0)
    start = T + timedelta(seconds=7)
    reads: list[datetime] = []
    first_seen: dict[float, datetime] = {}
    for cycle in range(40):  # 20 minutes
        at = start + timedelta(seconds=30 * cycle)
        batch, asked = read(plan, cloudwatch, at)
        if asked:
            reads.append(at)
        point = batch.newest("net")
        assert point is not None
        first_seen.setdefault(point[0], at)
    for stamp, seen in first_seen.items():
        arrived = datetime.fromtimestamp(stamp, UTC) + timedelta(seconds=100)
        assert timedelta(0) <= seen - arrived < timedelta(seconds=30), (stamp, seen)
    assert len(first_seen) >= 19
    assert len(reads) <= 20 + 2, f"{len(reads)} reads in 40 cycles"  # once a minute, once learnt


def test_a_series_published_sooner_than_learnt_is_learnt_again() -> None:
    """What is learnt of a delay is trusted for 15 minutes: a series whose delay then shrinks is
    read late for at most that long, then in the first cycle after each point again."""
    plan = QueryPlan([MetricQuery("net", "AWS/EC2", "NetworkIn", (("InstanceId", "i-1"),), "Sum", 60)])
    cloudwatch = Published(plan, delay=40.0)
    start = T + timedelta(seconds=7)
    late: list[timedelta] = []
    for cycle in range(80):  # 40 minutes; from minute 10, the points arrive 35 s sooner
        at = start + timedelta(seconds=30 * cycle)
        if cycle == 20:
            cloudwatch.delay = 5.0
        cloudwatch.asked = []
        batch, _ = read(plan, cloudwatch, at)
        point = batch.newest("net")
        assert point is not None
        arrived_newest = at - timedelta(seconds=65)  # the newest point that has arrived by now
        late.append(arrived_newest - datetime.fromtimestamp(point[0], UTC))
    assert max(late[60:]) < timedelta(seconds=60), "learnt again within 20 minutes"


def test_a_new_plan_takes_over_what_the_old_one_knew_of_each_series_it_keeps() -> None:
    """An inventory that changed (an instance launched, another's monitoring switched) makes a new
    plan: the series both plans ask keep their newest point and their schedule; a new series, or one
    now asked otherwise, is asked at once."""

    def net(iid: str, period: int = 60) -> MetricQuery:
        return MetricQuery(iid, "AWS/EC2", "NetworkIn", (("InstanceId", iid),), "Sum", period)

    old = QueryPlan([net("i-1"), net("i-2"), net("i-3")])
    points = {iid: [(T - timedelta(minutes=1), 5.0)] for iid in ("i-1", "i-2", "i-3", "i-4")}
    read(old, FakeCloudWatch(old, points), T + timedelta(seconds=10))
    new = QueryPlan([net("i-1"), net("i-3", period=300), net("i-4")], previous=old)
    batch, asked = read(new, FakeCloudWatch(new, points), T + timedelta(seconds=40))
    assert asked == ["i-3", "i-4"]
    assert batch.newest("i-1") == ((T - timedelta(minutes=1)).timestamp(), 5.0)


def test_a_read_without_the_slow_quantities_leaves_them_due() -> None:
    plan = QueryPlan(
        [
            MetricQuery("ops", "AWS/EBS", "VolumeReadOps", (("VolumeId", "vol-1"),), "Sum", 60),
            MetricQuery("idle", "AWS/EBS", "VolumeIdleTime", (("VolumeId", "vol-1"),), "Sum", 60, every=300),
        ]
    )
    points = {key: [(T - timedelta(minutes=1), 1.0)] for key in ("ops", "idle")}
    cloudwatch = FakeCloudWatch(plan, points)
    at = T + timedelta(seconds=10)
    batch = asyncio.run(
        get_metric_data(
            FakeFactory(cloudwatch),
            "us-east-1",
            plan,
            at - timedelta(minutes=5),
            at,
            incremental=True,
            slow=False,
        )  # type: ignore[arg-type]
    )
    assert cloudwatch.asked == ["ops"] and batch.queries == 1
    _, asked = read(plan, cloudwatch, at)
    assert asked == ["idle"]  # still due; then not again for five minutes
    _, asked = read(plan, cloudwatch, T + timedelta(minutes=4))
    assert "idle" not in asked
    _, asked = read(plan, cloudwatch, T + timedelta(minutes=5, seconds=10))
    assert "idle" in asked


def net(key: str) -> MetricQuery:
    return MetricQuery(key, "AWS/EC2", "NetworkIn", (("InstanceId", key),), "Sum", 60)


def test_a_steady_read_asks_only_from_the_points_held() -> None:
    """A call whose every query holds a point starts at the oldest of them: a minute's read brings
    the point held again (CloudWatch may have completed it since) and the new one, not the window's
    few. A series whose newest point is the one held brought nothing new and stays due; once that
    point has left the window it is forgotten, as the whole window would have."""
    plan = QueryPlan([net("a"), net("b")])
    points = {
        "a": [(T - timedelta(minutes=k), float(k)) for k in (1, 2, 3)],
        "b": [(T - timedelta(minutes=1), 7.0)],
    }
    cloudwatch = FakeCloudWatch(plan, points)
    read(plan, cloudwatch, T + timedelta(seconds=10))
    assert cloudwatch.starts["a"] == T - timedelta(minutes=20)  # nothing held yet: the window

    points["a"].insert(0, (T, 0.5))
    batch, asked = read(plan, cloudwatch, T + timedelta(seconds=70))
    assert asked == ["a", "b"] and cloudwatch.starts["a"] == T - timedelta(minutes=1)  # the point held
    a = batch.get("a")
    assert a is not None and list(a.values) == [0.5, 1.0]  # not minutes T - 2 and T - 3 again
    assert batch.newest("b") == ((T - timedelta(minutes=1)).timestamp(), 7.0)
    assert not batch.read_any(["b"])  # asked, but nothing new came of it

    _, asked = read(plan, cloudwatch, T + timedelta(seconds=100))
    assert "b" in asked  # still due: its minute T may come yet
    points["b"] = [(T - timedelta(minutes=1), 8.0)]  # CloudWatch completed the minute held
    batch, _ = read(plan, cloudwatch, T + timedelta(seconds=130))
    assert batch.read_any(["b"]) and batch.newest("b") == ((T - timedelta(minutes=1)).timestamp(), 8.0)

    batch, asked = read(plan, cloudwatch, T + timedelta(minutes=22))
    assert "b" in asked and batch.newest("b") is None  # older than the window: forgotten
    b = batch.get("b")
    assert b is not None and not b.timestamps


def test_a_call_with_a_series_that_holds_no_point_reads_the_whole_window() -> None:
    """Series that held no point are sent first, in calls of their own as far as they go: those
    read the whole window (AWS may have published any minute of it since); the other calls read
    only what is newer than their points."""
    keys = [f"i{n}" for n in range(501)]
    plan = QueryPlan([net(key) for key in keys])
    points = {key: [(T - timedelta(minutes=1), 1.0)] for key in keys[1:]}  # i0 idle
    cloudwatch = FakeCloudWatch(plan, points)
    read(plan, cloudwatch, T + timedelta(seconds=10))
    _, asked = read(plan, cloudwatch, T + timedelta(seconds=70))
    assert len(asked) == 501
    window = T + timedelta(seconds=70) - timedelta(minutes=20)
    full = window.replace(second=0)
    assert cloudwatch.starts["i0"] == full  # with 499 others, held or not
    held = T - timedelta(minutes=1)
    assert sum(1 for start in cloudwatch.starts.values() if start == held) == 1  # the last call


class SlowCloudWatch(FakeCloudWatch):
    """Answers after a moment, counting the calls in flight."""

    def __init__(self, plan: QueryPlan) -> None:
        super().__init__(plan, {})
        self.in_flight = self.most = 0

    async def get_metric_data(self, **params: Any) -> dict[str, Any]:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            return await super().get_metric_data(**params)
        finally:
            self.in_flight -= 1


def test_a_window_read_keeps_few_calls_in_flight_and_an_incremental_read_sends_all_at_once() -> None:
    """A whole window's read (a first poll's hour) holds each answer until it is decoded: at most
    ``WINDOW_CALLS`` at once. A steady read's answers are a point or two a series: all at once."""
    from tui.aws.metrics import MAX_QUERIES, WINDOW_CALLS

    calls = 3 * WINDOW_CALLS
    plan = QueryPlan(
        [
            MetricQuery(f"i-{n}|NetworkIn", "AWS/EC2", "NetworkIn", (("InstanceId", f"i-{n}"),), "Sum", 60)
            for n in range(calls * MAX_QUERIES)
        ]
    )
    window = SlowCloudWatch(plan)
    factory: Any = FakeFactory(window)
    whole = asyncio.run(get_metric_data(factory, "us-east-1", plan, T - timedelta(hours=1), T))
    assert whole.calls == calls and len(window.asked) == len(plan)
    assert window.most == WINDOW_CALLS
    steady = SlowCloudWatch(plan)
    factory = FakeFactory(steady)
    asyncio.run(get_metric_data(factory, "us-east-1", plan, T - timedelta(hours=1), T, incremental=True))
    assert steady.most == calls


def test_a_getmetricdata_answer_that_is_not_json_is_refused_in_words() -> None:
    from botocore.parsers import ResponseParserError

    from tui.aws.metrics import _EXCHANGE, _Exchange, _preparse

    exchange = _Exchange(b"{}")
    reset = _EXCHANGE.set(exchange)
    try:
        whole = {"status_code": 200, "body": b'{"MetricDataResults":[{"Id":"q0","Values":[1]}]}'}
        _preparse(whole)
        assert exchange.parsed == {"MetricDataResults": [{"Id": "q0", "Values": [1]}]}
        assert whole["body"] == b"{}"  # botocore parses an empty document
        with pytest.raises(ResponseParserError, match="not JSON"):
            _preparse({"status_code": 200, "body": b'{"MetricDataResults":[{"Id":"q0",'})
    finally:
        _EXCHANGE.reset(reset)
