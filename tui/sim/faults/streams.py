"""Faults of the Kinesis streams and of the Lambda functions that read them: a stalled reader,
throttled writes, failing invocations."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.sim.catalog import SHARD_WRITE_BYTES, SHARD_WRITE_RECORDS, ConsumerSpec, StreamSpec
from tui.sim.faults.base import FaultError, FaultRecord, Target, _Effects, _Fault, _Span
from tui.sim.metricgen import level, minute_of

if TYPE_CHECKING:
    from tui.sim.faults.engine import FaultEngine


class _KinesisConsumerLag(_Fault):
    """One named reader of the stream stalls: its own lag metric (an enhanced fan-out consumer's
    SubscribeToShardEvent.MillisBehindLatest, else a Lambda mapping's IteratorAge and the stream's
    GetRecords age it feeds) grows by ``PACE`` ms for every wall-clock ms the fault runs, as a
    reader that reads nothing falls behind by the time that passes (a slower reader, ``PACE`` < 1,
    falls behind slower). The other readers keep their own lag. Once the fault ends the reader
    catches up over ``CATCH_UP_S`` scenario seconds, shortened in proportion to the shards added
    since it started."""

    spec_id = "kinesis-consumer-lag"
    default_target = "ledger-cdc"
    CATCH_UP_S = 10 * 60.0
    PACE = 1.0

    @staticmethod
    def reader(engine: FaultEngine, stream: str) -> ConsumerSpec:
        """The reader the fault stalls: the stream's first enhanced fan-out consumer, else its first
        Lambda reader."""
        spec: StreamSpec = engine.stream_spec(stream)
        readers = [c for c in spec.consumers if c.efo] or [c for c in spec.consumers if c.lambda_function]
        if not readers:
            raise FaultError(f"{spec.name} has no enhanced fan-out consumer or Lambda reader to stall")
        return readers[0]

    def alarm_fields(self, engine: FaultEngine, target: Target) -> dict[str, str]:
        return {**super().alarm_fields(engine, target), "reader": self.reader(engine, target.id).name}

    def prepare(self, engine: FaultEngine, target: Target, started: datetime) -> dict[str, Any]:
        spec = engine.stream_spec(target.id)
        keys: list[tuple[str, str, str]] = []
        reader = self.reader(engine, target.id)
        if reader.efo:
            keys.append(("AWS/Kinesis", "SubscribeToShardEvent.MillisBehindLatest", reader.name))
        else:
            keys.append(("AWS/Lambda", "IteratorAge", reader.name))
            keys.append(("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", spec.name))
        usual = reader.lag_ms
        return {
            "keys": tuple(keys),
            "reader": reader.name,
            "usual_ms": (usual.night + usual.peak) / 2.0,
            "shards": engine.workload.generator.shards_at(spec.name, minute_of(started)),
            "generator": engine.workload.generator,
        }

    def behind_ms(self, span: _Span, middle: float, minute: int) -> float:
        """How far the reader has fallen behind its usual lag at ``middle`` (epoch seconds)."""
        if middle < span.start:
            return 0.0
        stalled_until = middle if span.covers(middle) else span.end
        assert stalled_until is not None
        fallen = (stalled_until - span.start) * 1000.0 * self.PACE
        if span.covers(middle):
            return fallen
        assert span.end is not None
        shards = max(1, int(span.params["generator"].shards_at(span.target.id, minute)))
        catch_up: float = self.CATCH_UP_S * span.params["shards"] / shards
        since = (middle - span.end) * span.speed
        return fallen * max(0.0, 1.0 - since / catch_up)

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        behind = self.behind_ms(span, middle, minute)
        if behind <= 0.0:
            return
        for key in span.params["keys"]:
            into.blends[key] = (span.params["usual_ms"] + behind, 1.0)

    def horizon(self, span: _Span) -> float | None:
        if span.end is None:
            return None
        shards: int = span.params["shards"]
        return span.end + self.CATCH_UP_S * shards / span.speed + 60.0

    def streams(self, record: FaultRecord) -> tuple[str, ...]:
        return (record.target.id,)


class _KinesisWriteThrottle(_Fault):
    """Producers write three times what the stream's shards accepted when the fault started."""

    spec_id = "kinesis-write-throttle"
    default_target = "payments-events"
    DEMAND = 3.0

    def prepare(self, engine: FaultEngine, target: Target, started: datetime) -> dict[str, Any]:
        spec = engine.stream_spec(target.id)
        shards = engine.workload.generator.shards_at(spec.name, minute_of(started))
        per_shard = min(SHARD_WRITE_RECORDS, SHARD_WRITE_BYTES / spec.record_bytes)
        return {"spec": spec, "shards": shards, "capacity": shards * per_shard, "seed": engine.seed}

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        if not span.covers(middle):
            return
        spec = span.params["spec"]
        base = level(spec.records_per_s, span.params["seed"], f"{spec.name}:records", minute)
        if base > 0.0:
            into.scale_load(spec.name, self.DEMAND * span.params["capacity"] / base)

    def mitigation(self, engine: FaultEngine, record: FaultRecord) -> str | None:
        shards = engine.workload.stream_shards().get(record.target.id)
        needed = math.ceil(self.DEMAND * record.params["shards"])
        if shards is not None and shards >= needed:
            return f"resharded to {shards} shards, enough for {self.DEMAND:g}x the writes"
        return None

    def streams(self, record: FaultRecord) -> tuple[str, ...]:
        return (record.target.id,)


class _LambdaErrors(_Fault):
    """A third of the function's invocations fail and its Duration triples."""

    spec_id = "lambda-errors"
    default_target = "payments-ledger-writer"
    FAILING = 1.0 / 3.0
    SLOWER = 3.0

    def template_action(self) -> tuple[str, dict[str, str]]:
        return "aws:lambda:invocation-error", {"invocationPercentage": "33", "preventExecution": "false"}

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        if not span.covers(middle):
            return
        name = span.target.id
        into.function_errors[name] = max(into.function_errors.get(name, 0.0), self.FAILING)
        key = ("AWS/Lambda", "Duration", name)
        into.multipliers[key] = into.multipliers.get(key, 1.0) * self.SLOWER
