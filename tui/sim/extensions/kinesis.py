"""Kinesis as AWS answers where moto does not: UpdateShardCount's limits and its UPDATING window,
DescribeStreamSummary's ConsumerCount, and setting a stream's creation time.

UpdateShardCount (Kinesis API reference, UpdateShardCount; AWS-FACTS B): the target must lie
within [half, double] of the stream's open shards (InvalidArgumentException), at most 10000
shards (InvalidArgumentException); a stream scales at most ``MAX_UPDATES_PER_DAY`` times in a
rolling 24 hours (LimitExceededException); on-demand streams scale themselves
(ValidationException); while a reshard runs the stream is UPDATING and a second call is refused
(ResourceInUseException). moto reshards at once and stays ACTIVE; here an accepted call leaves the
stream UPDATING with its old shards for ``UPDATING_S`` wall-clock seconds, then reshards it and
makes it ACTIVE (on the first read after that, or by a timer, whichever comes first).
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tui.sim.extensions._common import service_error

UPDATING_S = 3.0
MAX_UPDATES_PER_DAY = 10
MAX_SHARDS = 10_000
DAY_S = 24 * 3600.0

_lock = threading.RLock()
_install_lock = threading.Lock()
# Per stream ARN: monotonic times of accepted UpdateShardCount calls in the last 24 hours.
_updates: dict[str, deque[float]] = {}
# Per stream ARN: (monotonic time the reshard completes, target shard count).
_pending: dict[str, tuple[float, int]] = {}
moto_originals: dict[str, Any] = {}


def _open_shards(stream: Any) -> int:
    return sum(1 for shard in list(stream.shards.values()) if shard.is_open)


def _settle(stream: Any, original: Callable[..., Any], *, now: float | None = None) -> None:
    """Finish a reshard whose UPDATING window has passed."""
    with _lock:
        pending = _pending.get(stream.arn)
        if pending is None:
            return
        until, target = pending
        if (time.monotonic() if now is None else now) < until:
            return
        del _pending[stream.arn]
        try:
            original(stream, target)
        finally:
            stream.status = "ACTIVE"


def _refuse(stream: Any, target: int, now: float) -> None:
    mode = (stream.stream_mode or {}).get("StreamMode", "PROVISIONED")
    if mode == "ON_DEMAND":
        raise service_error(
            "ValidationException",
            f"UpdateShardCount is not supported for stream {stream.stream_name}"
            " under on-demand capacity mode.",
        )
    if stream.status != "ACTIVE":
        raise service_error(
            "ResourceInUseException",
            f"Stream {stream.stream_name} under account {stream.account_id} not ACTIVE,"
            f" instead in state {stream.status}",
        )
    current = _open_shards(stream)
    if target > 2 * current:
        raise service_error(
            "InvalidArgumentException",
            "UpdateShardCount cannot scale up over double your current open shard count."
            f" Current open shard count: {current} Target shard count: {target}",
        )
    if 2 * target < current:
        raise service_error(
            "InvalidArgumentException",
            "UpdateShardCount cannot scale down below half your current open shard count."
            f" Current open shard count: {current} Target shard count: {target}",
        )
    if target > MAX_SHARDS:
        raise service_error(
            "InvalidArgumentException",
            f"UpdateShardCount cannot scale a stream beyond {MAX_SHARDS} shards."
            f" Target shard count: {target}",
        )
    recent = _updates.setdefault(stream.arn, deque())
    while recent and recent[0] <= now - DAY_S:
        recent.popleft()
    if len(recent) >= MAX_UPDATES_PER_DAY:
        raise service_error(
            "LimitExceededException",
            f"Rate exceeded for stream {stream.stream_name} under account {stream.account_id}:"
            f" UpdateShardCount may run at most {MAX_UPDATES_PER_DAY} times in a rolling 24-hour period.",
        )


def _wrap_update(
    original_backend: Callable[..., Any], original_stream: Callable[..., Any]
) -> Callable[..., Any]:
    def update_shard_count(self: Any, stream_arn: str, stream_name: str, target_shard_count: int) -> int:
        stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        target = int(target_shard_count)
        with _lock:
            now = time.monotonic()
            _settle(stream, original_stream, now=now)
            _refuse(stream, target, now)
            current = _open_shards(stream)
            _updates[stream.arn].append(now)
            stream.status = "UPDATING"
            _pending[stream.arn] = (now + UPDATING_S, target)
        timer = threading.Timer(UPDATING_S, _settle, args=(stream, original_stream))
        timer.daemon = True
        timer.start()
        return current

    update_shard_count.__dict__["warroom_original"] = original_backend
    return update_shard_count


def _wrap_describe(original: Callable[..., Any], original_stream: Callable[..., Any]) -> Callable[..., Any]:
    def describe_stream(self: Any, *args: Any, **kwargs: Any) -> Any:
        stream = original(self, *args, **kwargs)
        _settle(stream, original_stream)
        return stream

    describe_stream.__dict__["warroom_original"] = original
    return describe_stream


def _wrap_list(original: Callable[..., Any], original_stream: Callable[..., Any]) -> Callable[..., Any]:
    def list_streams(self: Any, *args: Any, **kwargs: Any) -> Any:
        streams = original(self, *args, **kwargs)
        for stream in streams:
            _settle(stream, original_stream)
        return streams

    list_streams.__dict__["warroom_original"] = original
    return list_streams


def _wrap_summary(original: Callable[..., Any]) -> Callable[..., Any]:
    def to_json_summary(self: Any) -> dict[str, Any]:
        data: dict[str, Any] = original(self)
        summary = data.get("StreamDescriptionSummary")
        if isinstance(summary, dict):
            summary["ConsumerCount"] = len(getattr(self, "consumers", ()) or ())
            summary["OpenShardCount"] = _open_shards(self)
        return data

    to_json_summary.__dict__["warroom_original"] = original
    return to_json_summary


def set_creation_time(account_id: str, region: str, stream_name: str, created: datetime) -> None:
    """Set a stream's StreamCreationTimestamp (the seeded workload's streams predate its metrics)."""
    from moto.kinesis.models import kinesis_backends

    stream = kinesis_backends[account_id][region].streams[stream_name]
    stream.creation_datetime = created


def reset() -> None:
    """Forget every stream's reshard history (for tests that start a new account)."""
    with _lock:
        _updates.clear()
        _pending.clear()


def install() -> None:
    """Patch moto's Kinesis backend and stream model (idempotent)."""
    from moto.kinesis.models import KinesisBackend, Stream

    with _install_lock:
        stream_update = Stream.__dict__.get("update_shard_count")
        summary = Stream.__dict__.get("to_json_summary")
        names: dict[str, Any] = {
            "KinesisBackend.update_shard_count": KinesisBackend.__dict__.get("update_shard_count"),
            "KinesisBackend.describe_stream": KinesisBackend.__dict__.get("describe_stream"),
            "KinesisBackend.list_streams": KinesisBackend.__dict__.get("list_streams"),
            "Stream.update_shard_count": Stream.__dict__.get("update_shard_count"),
            "Stream.to_json_summary": Stream.__dict__.get("to_json_summary"),
        }
        for name, current in names.items():
            if current is None:
                raise RuntimeError(f"moto's Kinesis has no {name}(): the extension needs updating")
        summary = names["Stream.to_json_summary"]
        if "warroom_original" in getattr(summary, "__dict__", {}):
            return
        stream_update = names["Stream.update_shard_count"]
        moto_originals.update(names)
        KinesisBackend.update_shard_count = _wrap_update(  # type: ignore[method-assign]
            names["KinesisBackend.update_shard_count"], stream_update
        )
        KinesisBackend.describe_stream = _wrap_describe(  # type: ignore[method-assign]
            names["KinesisBackend.describe_stream"], stream_update
        )
        KinesisBackend.list_streams = _wrap_list(  # type: ignore[method-assign]
            names["KinesisBackend.list_streams"], stream_update
        )
        Stream.to_json_summary = _wrap_summary(summary)  # type: ignore[method-assign]
