"""The EC2/EBS limit formulas at the points AWS documents, which ceiling binds, gauge levels and the
right-sizing hints (tui.aws.limits_math)."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

import moto
import pytest

from tui.aws.limits_math import (
    MB_PER_MIB,
    Binding,
    Dimension,
    InstanceLimits,
    Thresholds,
    VolumeLimit,
    VolumeUsage,
    binding,
    ceiling_now,
    instance_hint,
    instance_limits,
    io_throughput_mibps,
    level,
    mbps,
    mbs,
    mibps,
    monthly_cost,
    network_from_performance,
    st1_size_for,
    unattached_hint,
    volume_hints,
    volume_limit,
)

INSTANCE_TYPES = Path(moto.__file__).parent / "ec2" / "resources" / "instance_types.json.gz"


@cache
def _catalog() -> dict[str, Any]:
    with gzip.open(INSTANCE_TYPES, "rt", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def instance_type(name: str) -> dict[str, Any]:
    """A DescribeInstanceTypes entry as moto ships it (a copy the test may change)."""
    entry: dict[str, Any] = json.loads(json.dumps(_catalog()[name]))
    return entry


# ---------------------------------------------------------------------------------------------
# Volumes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "baseline", "burst"),
    [
        (33, 100.0, 3000.0),
        (170, 510.0, 3000.0),
        (334, 1002.0, 3000.0),
        (1000, 3000.0, None),
        (5334, 16000.0, None),
    ],
)
def test_gp2_iops_from_size(size: int, baseline: float, burst: float | None) -> None:
    limit = volume_limit("gp2", size)
    assert limit is not None
    assert limit.baseline_iops == baseline
    assert limit.burst_iops == burst


@pytest.mark.parametrize(
    ("size", "baseline", "burst"),
    [(33, 128.0, None), (170, 128.0, None), (171, 128.0, 250.0), (333, 128.0, 250.0), (334, 250.0, None)],
)
def test_gp2_throughput_from_size(size: int, baseline: float, burst: float | None) -> None:
    limit = volume_limit("gp2", size)
    assert limit is not None
    assert (limit.baseline_mibps, limit.burst_mibps) == (baseline, burst)


def test_gp2_without_a_size_is_unknown() -> None:
    assert volume_limit("gp2", None) is None


def test_gp3_included_and_provisioned() -> None:
    assert volume_limit("gp3", 100) == VolumeLimit(3000.0, None, 125.0, None)
    assert volume_limit("gp3", 100, 3000, 125) == VolumeLimit(3000.0, None, 125.0, None)
    assert volume_limit("gp3", 500, 12000, 750) == VolumeLimit(12000.0, None, 750.0, None)
    assert volume_limit("gp3", 2000, 80000, 2000) == VolumeLimit(80000.0, None, 2000.0, None)


@pytest.mark.parametrize(
    ("volume_type", "iops", "expected"),
    [
        ("io1", 100, 25.0),
        ("io1", 1000, 250.0),
        ("io1", 2000, 500.0),
        ("io1", 32000, 500.0),
        ("io1", 48000, 750.0),
        ("io1", 64000, 1000.0),
        ("io1", 256000, 1000.0),
        # io2 Block Express: 0.256 MiB/s per provisioned IOPS up to 4,000 MiB/s.
        ("io2", 100, 25.6),
        ("io2", 2000, 512.0),
        ("io2", 4000, 1024.0),
        ("io2", 15625, 4000.0),
        ("io2", 48000, 4000.0),
        ("io2", 256000, 4000.0),
    ],
)
def test_io_throughput(volume_type: str, iops: int, expected: float) -> None:
    assert io_throughput_mibps(volume_type, float(iops)) == pytest.approx(expected)
    limit = volume_limit(volume_type, 1000, iops)
    assert limit is not None
    assert (limit.baseline_iops, limit.burst_iops, limit.burst_mibps) == (float(iops), None, None)
    assert limit.baseline_mibps == pytest.approx(expected)


@pytest.mark.parametrize("volume_type", ["io1", "io2"])
def test_io_without_provisioned_iops_is_unknown_not_zero(volume_type: str) -> None:
    limit = volume_limit(volume_type, 500, None)
    assert limit == VolumeLimit(None, None, None, None)
    assert limit is not None
    assert limit.iops_now(50.0) is None
    assert limit.mibps_now(None) is None


def test_st1_and_sc1_scale_with_size() -> None:
    st1_2tib = volume_limit("st1", 2048)
    assert st1_2tib is not None
    assert st1_2tib.baseline_mibps == pytest.approx(80.0)
    assert st1_2tib.burst_mibps == pytest.approx(500.0)
    st1_big = volume_limit("st1", 12800)
    assert st1_big is not None
    assert (st1_big.baseline_mibps, st1_big.burst_mibps) == (500.0, 500.0)
    st1_small = volume_limit("st1", 125)
    assert st1_small is not None
    assert st1_small.baseline_mibps == pytest.approx(125 / 1024 * 40)
    assert st1_small.burst_mibps == pytest.approx(125 / 1024 * 250)
    sc1 = volume_limit("sc1", 3200)
    assert sc1 is not None
    assert sc1.baseline_mibps == pytest.approx(37.5)
    assert sc1.burst_mibps == pytest.approx(250.0)
    sc1_16tib = volume_limit("sc1", 16384)
    assert sc1_16tib is not None
    assert (sc1_16tib.baseline_mibps, sc1_16tib.burst_mibps) == (192.0, 250.0)
    assert volume_limit("st1", None) is None


def test_standard_and_unknown_types() -> None:
    assert volume_limit("standard", 100) == VolumeLimit(100.0, 200.0, 40.0, 90.0)
    assert volume_limit("gp4", 100, 3000, 125) is None
    assert volume_limit("", None) is None


def test_volume_ceiling_now_follows_the_burst_balance() -> None:
    limit = volume_limit("gp2", 100)
    assert limit is not None
    assert limit.iops_now(None) == 3000.0  # nobody says the credits are gone
    assert limit.iops_now(80.0) == 3000.0
    assert limit.iops_now(0.6) == 3000.0
    assert limit.iops_now(0.5) == 300.0
    assert limit.iops_now(0.0) == 300.0
    between = volume_limit("gp2", 200)
    assert between is not None
    assert between.mibps_now(40.0) == 250.0
    assert between.mibps_now(0.0) == 128.0
    gp3 = volume_limit("gp3", 100, 6000, 500)
    assert gp3 is not None
    assert gp3.iops_now(0.0) == 6000.0  # gp3 has no burst: the balance does not matter


# ---------------------------------------------------------------------------------------------
# Instance types
# ---------------------------------------------------------------------------------------------


def test_m5_xlarge_limits() -> None:
    limits = instance_limits(instance_type("m5.xlarge"))
    assert limits == InstanceLimits(
        ebs_baseline_mbs=143.75,
        ebs_max_mbs=593.75,
        ebs_baseline_iops=6000.0,
        ebs_max_iops=18750.0,
        net_baseline_mbps=1250.0,
        net_peak_mbps=10000.0,
    )
    assert limits.ebs_bursts


def test_t3_small_limits() -> None:
    limits = instance_limits(instance_type("t3.small"))
    assert limits.ebs_baseline_mbs == 21.75
    assert limits.ebs_max_mbs == 260.625
    assert (limits.ebs_baseline_iops, limits.ebs_max_iops) == (1000.0, 11800.0)
    assert limits.net_baseline_mbps == pytest.approx(128.0)
    assert limits.net_peak_mbps == 5000.0
    assert limits.ebs_reason == limits.net_reason == ""


def test_type_without_ebs_optimized_info_has_unknown_ebs_with_a_reason() -> None:
    entry = instance_type("m5.xlarge")
    del entry["EbsInfo"]["EbsOptimizedInfo"]
    limits = instance_limits(entry)
    assert limits.ebs_baseline_mbs is None
    assert limits.ebs_max_mbs is None
    assert limits.ebs_baseline_iops is None
    assert limits.ebs_max_iops is None
    assert "EbsOptimizedInfo" in limits.ebs_reason
    assert not limits.ebs_bursts
    assert limits.net_baseline_mbps == 1250.0  # the network side is untouched
    # A real type that is not EBS-optimized (t2.micro) says the same.
    assert instance_limits(instance_type("t2.micro")).ebs_reason == limits.ebs_reason


def _without_cards(performance: str) -> dict[str, Any]:
    entry = instance_type("m5.xlarge")
    del entry["NetworkInfo"]["NetworkCards"]
    entry["NetworkInfo"]["NetworkPerformance"] = performance
    return entry


def test_network_words_without_a_number_are_unknown_with_a_reason() -> None:
    limits = instance_limits(_without_cards("Moderate"))
    assert limits.net_baseline_mbps is None
    assert limits.net_peak_mbps is None
    assert "Moderate" in limits.net_reason
    assert limits.ebs_max_mbs == 593.75


def test_up_to_gigabit_gives_a_peak_but_no_baseline() -> None:
    limits = instance_limits(_without_cards("Up to 10 Gigabit"))
    assert limits.net_peak_mbps == 10000.0
    assert limits.net_baseline_mbps is None
    assert "Up to 10 Gigabit" in limits.net_reason
    assert "baseline" in limits.net_reason


def test_fixed_gigabit_gives_both() -> None:
    limits = instance_limits(_without_cards("25 Gigabit"))
    assert (limits.net_baseline_mbps, limits.net_peak_mbps) == (25000.0, 25000.0)
    assert limits.net_reason == ""


def test_no_network_info_at_all() -> None:
    entry = instance_type("m5.xlarge")
    del entry["NetworkInfo"]
    limits = instance_limits(entry)
    assert limits.net_baseline_mbps is None and limits.net_peak_mbps is None
    assert limits.net_reason != ""


def test_network_performance_words() -> None:
    assert network_from_performance("Up to 10 Gigabit") == (None, 10000.0)
    assert network_from_performance("25 Gigabit") == (25000.0, 25000.0)
    assert network_from_performance("12.5 Gigabit") == (12500.0, 12500.0)
    for words in ("Low", "Moderate", "High", "Low to Moderate", ""):
        assert network_from_performance(words) is None


def test_unknown_type_is_all_unknown_with_reasons() -> None:
    limits = instance_limits(None)
    assert limits.ebs_baseline_mbs is None and limits.ebs_max_mbs is None
    assert limits.ebs_baseline_iops is None and limits.ebs_max_iops is None
    assert limits.net_baseline_mbps is None and limits.net_peak_mbps is None
    assert limits.ebs_reason != "" and limits.net_reason != ""


def test_instance_ceiling_now() -> None:
    assert ceiling_now(143.75, 593.75, None) == 593.75
    assert ceiling_now(143.75, 593.75, 100.0) == 593.75
    assert ceiling_now(143.75, 593.75, 0.6) == 593.75
    assert ceiling_now(143.75, 593.75, 0.5) == 143.75
    assert ceiling_now(143.75, 593.75, 0.0) == 143.75
    assert ceiling_now(None, 593.75, 0.0) == 593.75  # no baseline known: the maximum is all we have
    assert ceiling_now(143.75, None, 50.0) == 143.75
    assert ceiling_now(None, None, None) is None


# ---------------------------------------------------------------------------------------------
# Which ceiling binds
# ---------------------------------------------------------------------------------------------


def _m5_xlarge_ceilings(byte_balance: float | None = None) -> tuple[float | None, float | None]:
    """(MiB/s, IOPS) the m5.xlarge allows its volumes now."""
    limits = instance_limits(instance_type("m5.xlarge"))
    mbs_now = ceiling_now(limits.ebs_baseline_mbs, limits.ebs_max_mbs, byte_balance)
    iops_now = ceiling_now(limits.ebs_baseline_iops, limits.ebs_max_iops, None)
    return (None if mbs_now is None else mbs_now / MB_PER_MIB), iops_now


def test_gp3_on_m5_xlarge_is_capped_by_the_instance_on_throughput() -> None:
    inst_mibps, inst_iops = _m5_xlarge_ceilings()
    assert inst_mibps == pytest.approx(566.2, abs=0.05)
    assert inst_iops == 18750.0
    dims = (Dimension(5000.0, 12000.0, inst_iops), Dimension(450.0, 750.0, inst_mibps))
    assert dims[0].capped_by_other is False
    assert dims[0].ceiling == 12000.0
    assert dims[1].capped_by_other is True
    assert dims[1].ceiling == inst_mibps
    bound = binding(dims)
    assert bound.dimension == 1
    assert bound.by_other is True
    assert bound.utilization == pytest.approx(0.795, abs=0.001)
    assert bound.utilization == pytest.approx(450.0 / (593.75 / MB_PER_MIB))


def test_spent_instance_byte_balance_drops_the_ceiling_to_the_baseline() -> None:
    inst_mibps, _ = _m5_xlarge_ceilings(byte_balance=0.0)
    assert inst_mibps == pytest.approx(143.75 / MB_PER_MIB)
    bound = binding((Dimension(450.0, 750.0, inst_mibps),))
    assert bound.by_other is True
    assert bound.utilization == pytest.approx(450.0 / (143.75 / MB_PER_MIB))


def test_io2_held_to_a_third_by_its_instance() -> None:
    iops_dim = Dimension(9000.0, 32000.0, 10667.0)
    assert iops_dim.ceiling == 10667.0
    assert iops_dim.capped_by_other is True
    assert iops_dim.utilization == pytest.approx(9000.0 / 10667.0)
    throughput = io_throughput_mibps("io2", 32000.0)
    bound = binding((iops_dim, Dimension(100.0, throughput, 1000.0)))
    assert (bound.by_other, bound.dimension) == (True, 0)
    assert bound.utilization == pytest.approx(9000.0 / 10667.0)


def test_unknown_usage_still_names_the_side_that_caps() -> None:
    inst_mibps, inst_iops = _m5_xlarge_ceilings()
    capped = binding((Dimension(None, 12000.0, inst_iops), Dimension(None, 750.0, inst_mibps)))
    assert capped == Binding(None, True, 1)
    own = binding((Dimension(None, 3000.0, inst_iops), Dimension(None, 125.0, inst_mibps)))
    assert own == Binding(None, False, None)
    io2 = binding((Dimension(None, 32000.0, 10667.0), Dimension(None, 500.0, None)))
    assert io2 == Binding(None, True, 0)
    nothing = binding((Dimension(None, None, None), Dimension(None, None, None)))
    assert nothing == Binding(None, None, None)


def test_dimension_with_one_ceiling_unknown() -> None:
    only_other = Dimension(50.0, None, 100.0)
    assert (only_other.ceiling, only_other.capped_by_other, only_other.utilization) == (100.0, True, 0.5)
    only_own = Dimension(50.0, 200.0, None)
    assert (only_own.ceiling, only_own.capped_by_other, only_own.utilization) == (200.0, False, 0.25)
    neither = Dimension(50.0, None, None)
    assert (neither.ceiling, neither.capped_by_other, neither.utilization) == (None, None, None)
    equal = Dimension(50.0, 100.0, 100.0)
    assert equal.capped_by_other is False  # a tie is the resource's own limit


def test_binding_picks_the_busiest_known_dimension() -> None:
    bound = binding(
        (Dimension(900.0, 1000.0, None), Dimension(None, 100.0, 50.0), Dimension(10.0, 100.0, 20.0))
    )
    assert bound.dimension == 0
    assert bound.utilization == pytest.approx(0.9)
    assert bound.by_other is False


def test_rates_from_sums() -> None:
    assert mbps(7.5e8, 60) == pytest.approx(100.0)
    assert mbps(3.75e9, 300) == pytest.approx(100.0)
    assert mbs(6e7, 60) == pytest.approx(1.0)
    assert mibps(450 * 1024 * 1024 * 60, 60) == pytest.approx(450.0)


# ---------------------------------------------------------------------------------------------
# Levels
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utilization", "expected"),
    [
        (None, "unknown"),
        (0.0, "ok"),
        (0.7999, "ok"),
        (0.8, "warn"),
        (0.9499, "warn"),
        (0.95, "critical"),
        (1.4, "critical"),
    ],
)
def test_level_at_default_thresholds(utilization: float | None, expected: str) -> None:
    assert level(utilization, Thresholds()) == expected


def test_level_at_custom_thresholds() -> None:
    custom = Thresholds(warn=0.5, critical=0.7)
    assert level(0.49, custom) == "ok"
    assert level(0.5, custom) == "warn"
    assert level(0.7, custom) == "critical"


# ---------------------------------------------------------------------------------------------
# Hints
# ---------------------------------------------------------------------------------------------


def usage(volume_type: str = "gp3", **changes: Any) -> VolumeUsage:
    values: dict[str, Any] = {
        "volume_id": "vol-1",
        "volume_type": volume_type,
        "size_gib": 100,
        "peak_iops": 2000.0,
        "peak_mibps": 40.0,
        "peak_utilization": 0.5,
        "idle_fraction": 0.2,
        "window_minutes": 60.0,
    }
    values.update(changes)
    return VolumeUsage(**values)


def kinds(volume: VolumeUsage) -> list[str]:
    return [hint.kind for hint in volume_hints(volume)]


def test_a_busy_gp3_volume_gets_no_hint() -> None:
    assert kinds(usage()) == []


def test_idle_volume() -> None:
    hints = volume_hints(usage(idle_fraction=0.97, peak_utilization=0.01))
    assert [h.kind for h in hints] == ["idle"]  # idle says it all: no "underused" besides
    assert hints[0].resource_id == "vol-1"
    assert "97%" in hints[0].text and "60 min" in hints[0].text
    assert kinds(usage(idle_fraction=0.94)) == []
    assert kinds(usage(idle_fraction=None)) == []


def test_underused_volume() -> None:
    hints = volume_hints(usage(peak_utilization=0.05, window_minutes=180.0))
    assert [h.kind for h in hints] == ["underused"]
    assert "5%" in hints[0].text and "3 h" in hints[0].text
    assert kinds(usage(peak_utilization=0.10)) == []
    assert kinds(usage(peak_utilization=None)) == []


def test_gp3_at_its_floor_is_not_underused() -> None:
    assert kinds(usage(peak_utilization=0.02, at_gp3_floor=True)) == []
    assert kinds(usage(peak_utilization=0.02, at_gp3_floor=False)) == ["underused"]
    # The floor only exempts gp3.
    assert "underused" in kinds(usage("io2", peak_utilization=0.02, at_gp3_floor=True))


def test_gp2_to_gp3() -> None:
    assert kinds(usage("gp2")) == ["gp2-to-gp3"]
    assert "gp2-to-gp3" not in kinds(usage("gp3"))
    assert "gp2-to-gp3" not in kinds(usage("io1"))


def test_io_to_gp3_suggests_gp3_numbers_with_headroom() -> None:
    hints = [
        h for h in volume_hints(usage("io2", peak_iops=5000.0, peak_mibps=200.0)) if h.kind == "io-to-gp3"
    ]
    assert len(hints) == 1
    assert "5,000 IOPS / 200 MiB/s" in hints[0].text
    assert "gp3 at 6,000 IOPS / 250 MiB/s" in hints[0].text
    low = volume_hints(usage("io1", peak_iops=400.0, peak_mibps=10.0))
    assert [h.text for h in low if h.kind == "io-to-gp3"] == [
        "io1 → gp3: peak 400 IOPS / 10 MiB/s fits gp3 at 3,000 IOPS / 125 MiB/s"
    ]


def test_io_beyond_gp3_or_unmeasured_gets_no_io_to_gp3() -> None:
    assert "io-to-gp3" not in kinds(usage("io2", peak_iops=90000.0, peak_mibps=500.0))
    assert "io-to-gp3" not in kinds(usage("io2", peak_iops=20000.0, peak_mibps=2500.0))
    assert "io-to-gp3" not in kinds(usage("io2", peak_iops=None, peak_mibps=None))
    assert "io-to-gp3" not in kinds(usage("gp3", peak_iops=5000.0, peak_mibps=200.0))


def test_to_st1_for_large_sequential_io_names_a_cheaper_size() -> None:
    # 200 MiB/s at peak, 30 MiB/s on average: an st1 bursting to 200 (820 GiB) that sustains 30
    # at baseline (768 GiB) and holds the 500 GiB of data: 820 GiB at $0.045 = $36.90 < gp2's $50.00.
    hints = volume_hints(usage("gp2", size_gib=500, peak_iops=400.0, peak_mibps=200.0, mean_mibps=30.0))
    st1 = [h for h in hints if h.kind == "to-st1"]
    assert len(st1) == 1
    assert "512 KiB per op" in st1[0].text
    assert "st1 of 820 GiB" in st1[0].text
    assert "$36.90/month instead of $50.00" in st1[0].text
    # Small I/O, low throughput, st1 already, or no I/O counted: no hint.
    assert "to-st1" not in kinds(
        usage("gp2", size_gib=500, peak_iops=3000.0, peak_mibps=100.0, mean_mibps=30.0)
    )
    assert "to-st1" not in kinds(
        usage("gp3", size_gib=500, peak_iops=100.0, peak_mibps=50.0, mean_mibps=30.0)
    )
    assert "to-st1" not in kinds(
        usage("st1", size_gib=500, peak_iops=400.0, peak_mibps=200.0, mean_mibps=30.0)
    )
    assert "to-st1" not in kinds(usage("gp3", size_gib=500, peak_iops=0.0, peak_mibps=200.0, mean_mibps=30.0))


def test_to_st1_only_when_cheaper() -> None:
    # Sustaining 200 MiB/s takes 5 TiB of st1 ($230.40): dearer than 500 GiB of gp2 ($50).
    assert "to-st1" not in kinds(
        usage("gp2", size_gib=500, peak_iops=400.0, peak_mibps=200.0, mean_mibps=200.0)
    )
    # Without a mean, the baseline must carry the peak: the same 5 TiB.
    assert "to-st1" not in kinds(usage("gp2", size_gib=500, peak_iops=400.0, peak_mibps=200.0))
    # A provisioned io2 costs its IOPS too: 500 GiB and 4,000 IOPS = $62.50 + $260 = $322.50, so
    # the 5 TiB st1 ($230.40) is cheaper.
    io2 = [
        h
        for h in volume_hints(
            usage("io2", size_gib=500, peak_iops=400.0, peak_mibps=200.0, provisioned_iops=4000.0)
        )
        if h.kind == "to-st1"
    ]
    assert len(io2) == 1
    assert "st1 of 5,120 GiB" in io2[0].text
    assert "$230.40/month instead of $322.50" in io2[0].text
    # A small gp3 is cheaper than any st1 that carries 150 MiB/s.
    assert "to-st1" not in kinds(
        usage("gp3", size_gib=125, peak_iops=300.0, peak_mibps=150.0, mean_mibps=10.0)
    )
    # st1 must hold the data: a 2 TiB gp2 with little throughput needs 2 TiB of st1 ($92.16 < $204.80).
    big = [
        h
        for h in volume_hints(usage("gp2", size_gib=2048, peak_iops=200.0, peak_mibps=100.0, mean_mibps=10.0))
        if h.kind == "to-st1"
    ]
    assert len(big) == 1 and "st1 of 2,048 GiB" in big[0].text
    # Above st1's 500 MiB/s, no st1 serves it.
    assert "to-st1" not in kinds(
        usage(
            "io2", size_gib=500, peak_iops=2000.0, peak_mibps=600.0, mean_mibps=10.0, provisioned_iops=64000.0
        )
    )


def test_st1_size_and_monthly_costs() -> None:
    assert st1_size_for(200.0, 30.0) == 820
    assert st1_size_for(200.0) == 5120
    assert st1_size_for(10.0, 1.0) == 125  # st1's smallest size
    assert st1_size_for(500.0, 500.0) == 12800
    assert st1_size_for(501.0) is None
    assert monthly_cost("gp2", 500) == pytest.approx(50.0)
    assert monthly_cost("gp3", 500) == pytest.approx(40.0)
    assert monthly_cost("gp3", 500, 12000.0, 750.0) == pytest.approx(40.0 + 45.0 + 25.0)
    assert monthly_cost("io1", 100, 1000.0) == pytest.approx(12.5 + 65.0)
    assert monthly_cost("io2", 100, None) is None  # unknown IOPS: unknown price, never a guess
    assert monthly_cost("st1", 1000) == pytest.approx(45.0)
    assert monthly_cost("sc1", 1000) is None


def test_unattached_hint() -> None:
    hint = unattached_hint("vol-9", "gp2", 100)
    assert (hint.resource_id, hint.kind) == ("vol-9", "unattached")
    assert "100 GiB gp2" in hint.text
    assert "GiB" not in unattached_hint("vol-9", "gp3", None).text


def test_instance_underused_hint() -> None:
    hint = instance_hint("i-1", 0.04, 90.0)
    assert hint is not None
    assert (hint.resource_id, hint.kind) == ("i-1", "underused")
    assert "4%" in hint.text and "90 min" in hint.text
    assert instance_hint("i-1", 0.10, 90.0) is None
    assert instance_hint("i-1", 0.5, 90.0) is None
    assert instance_hint("i-1", None, 90.0) is None
