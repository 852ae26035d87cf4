"""GetMetricData over a large EBS fleet, through the simulator's HTTP endpoint.

Builds 2,500 volumes x 4 AWS/EBS metrics x 60 one-minute points with ``put_series``, starts an
empty simulator and times one GetMetricData of 500 queries (Period 300, Sum, the last 25 minutes,
so 5 points each) through boto3. With ``--compare`` it also times moto's original scan against the
index in-process, on a smaller fleet, and checks that both give the same answer.

Run from the repository root: ``.venv/bin/python bench/getmetricdata.py [--compare]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui.sim.account import ACCOUNT_ID, REGION
from tui.sim.extensions import cloudwatch
from tui.sim.server import SimServer

METRICS = ("VolumeReadBytes", "VolumeWriteBytes", "VolumeReadOps", "VolumeWriteOps")
UNITS = {
    "VolumeReadBytes": "Bytes",
    "VolumeWriteBytes": "Bytes",
    "VolumeReadOps": "Count",
    "VolumeWriteOps": "Count",
}
TARGET_MS = 200.0
COMPARE_ACCOUNT = "000000000042"


def volume_id(number: int) -> str:
    return f"vol-{number:017x}"


def build_fleet(account: str, region: str, volumes: int, now: datetime, seed: int = 7) -> None:
    rng = random.Random(seed)
    minutes = [now - timedelta(minutes=minute) for minute in range(60, 0, -1)]
    for number in range(volumes):
        dims = {"VolumeId": volume_id(number)}
        for metric in METRICS:
            scale = 4096.0 if metric.endswith("Bytes") else 1.0
            points = [(moment, float(rng.randrange(0, 5000)) * scale) for moment in minutes]
            cloudwatch.put_series(account, region, "AWS/EBS", metric, dims, points, UNITS[metric])


def queries_for(volumes: int) -> list[dict[str, Any]]:
    return [
        {
            "Id": f"m{number}_{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/EBS",
                    "MetricName": metric,
                    "Dimensions": [{"Name": "VolumeId", "Value": volume_id(number)}],
                },
                "Period": 300,
                "Stat": "Sum",
            },
        }
        for number in range(volumes)
        for index, metric in enumerate(METRICS)
    ]


def time_server(url: str, queries: list[dict[str, Any]], now: datetime, repeat: int) -> list[float]:
    import boto3

    client = boto3.client(
        "cloudwatch",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    start = now - timedelta(minutes=25)
    timings = []
    for attempt in range(repeat + 1):
        began = time.perf_counter()
        results = client.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=now)
        elapsed = (time.perf_counter() - began) * 1000.0
        answered = results["MetricDataResults"]
        if len(answered) != len(queries) or any(len(result["Values"]) != 5 for result in answered):
            raise SystemExit("GetMetricData did not return 5 points for every query")
        if attempt:
            timings.append(elapsed)
    return timings


def compare(volumes: int, now: datetime) -> tuple[int, float, float]:
    """Time moto's original scan and the index on the same data, in-process."""
    build_fleet(COMPARE_ACCOUNT, REGION, volumes, now, seed=11)
    backend = cloudwatch.backend_for(COMPARE_ACCOUNT, REGION)
    datums = backend.get_all_metrics()
    reference = SimpleNamespace(get_all_metrics=lambda: datums)
    original = cloudwatch.moto_originals["CloudWatchBackend.get_metric_data"]
    queries = queries_for(max(volumes // 10, 1))
    start = (now - timedelta(minutes=25)).replace(tzinfo=None)
    end = now.replace(tzinfo=None)

    began = time.perf_counter()
    theirs = original(reference, queries, start, end, "TimestampDescending")
    moto_ms = (time.perf_counter() - began) * 1000.0
    began = time.perf_counter()
    mine = backend.get_metric_data(queries, start, end, "TimestampDescending")
    index_ms = (time.perf_counter() - began) * 1000.0
    if mine != theirs:
        raise SystemExit("the index and moto's scan disagree")
    return len(queries), moto_ms, index_ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--volumes", type=int, default=2500, help="EBS volumes in the fleet (default 2500)")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls after one warm-up (default 5)")
    parser.add_argument("--compare", action="store_true", help="also time moto's original scan")
    parser.add_argument("--compare-volumes", type=int, default=250, help="fleet size for --compare")
    args = parser.parse_args(argv)

    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    # On a 5-minute boundary: CloudWatch's 300 s buckets are aligned to the period, so the last
    # 25 minutes are then exactly 5 of them (and moto's buckets, stepped from StartTime, agree).
    now -= timedelta(minutes=now.minute % 5)
    server = SimServer(empty=True).start()
    try:
        began = time.perf_counter()
        build_fleet(ACCOUNT_ID, REGION, args.volumes, now)
        build_s = time.perf_counter() - began
        series, points = cloudwatch.stored_counts(ACCOUNT_ID, REGION)
        queries = queries_for(min(args.volumes, 125))
        timings = time_server(server.endpoint_url, queries, now, args.repeat)
        comparison = compare(args.compare_volumes, now) if args.compare else None
    finally:
        server.stop()

    median = statistics.median(timings)
    verdict = "PASS" if median < TARGET_MS else "FAIL"
    rows = [
        ("queries per call", f"{len(queries)}"),
        ("series stored", f"{series:,}"),
        ("datapoints stored", f"{points:,}"),
        ("put_series build", f"{build_s:.2f} s"),
        ("calls timed", f"{len(timings)} (after 1 warm-up)"),
        ("min / max", f"{min(timings):.1f} / {max(timings):.1f} ms"),
        ("median", f"{median:.1f} ms"),
        ("target", f"{TARGET_MS:.0f} ms"),
        ("result", verdict),
    ]
    if comparison is not None:
        count, moto_ms, index_ms = comparison
        rows += [
            ("compare fleet", f"{args.compare_volumes} volumes, {count} queries, in-process"),
            ("moto's scan", f"{moto_ms:.1f} ms"),
            ("index", f"{index_ms:.1f} ms"),
            ("speed-up", f"{moto_ms / max(index_ms, 1e-6):.0f}x"),
        ]
    width = max(len(label) for label, _ in rows)
    print("GetMetricData through the simulator (boto3 -> HTTP -> moto + index)")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
