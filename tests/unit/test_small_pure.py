from __future__ import annotations

import random
import sys

import pytest
from rich.text import Text

from tui.aws.overview_math import standard_vcpus
from tui.common.aws_rules import is_standard_family
from tui.feeds.polling import next_delay
from tui.screens.jump import match_panes
from widgets.safe import clean, literal


def test_next_delay_backs_off_and_caps() -> None:
    rng = random.Random(1)
    assert next_delay(30, 0) == 30
    assert 27 <= next_delay(30, 1, rng=rng) <= 33
    assert 108 <= next_delay(30, 3, rng=rng) <= 132
    assert next_delay(30, 20, cap=300, rng=rng) <= 300


def test_standard_families() -> None:
    assert all(
        is_standard_family(t) for t in ("m5.xlarge", "t3.large", "c5n.xlarge", "r5b.large", "z1d.large")
    )
    assert not any(
        is_standard_family(t) for t in ("p4d.24xlarge", "inf1.xlarge", "mac1.metal", "x2idn.large")
    )


def test_standard_vcpus_counts_running_only_and_unknown_is_none() -> None:
    instances = [
        {"InstanceType": "m5.xlarge", "State": {"Name": "running"}},
        {"InstanceType": "t3.large", "State": {"Name": "stopped"}},
        {"InstanceType": "p3.2xlarge", "State": {"Name": "running"}},
    ]
    assert standard_vcpus(instances, {"m5.xlarge": 4, "t3.large": 2}) == 4
    assert standard_vcpus([{"InstanceType": "c5.large", "State": {"Name": "running"}}], {}) is None


def test_aws_text_is_literal_and_loses_control_sequences() -> None:
    assert clean("[bold]x[/] \x1b[31mred\x1b[0m\x07") == "[bold]x[/] red"
    assert clean("a\nb\tc") == "a b c"
    # Bidi overrides and zero-width characters never reach the screen (the one strict cleaner).
    assert clean("evil\u202egnp.exe\u200b\u2066x\u2069\ufeff") == "evilgnp.exex"
    text = literal("[red]not markup[/red]")
    assert isinstance(text, Text) and text.plain == "[red]not markup[/red]" and not text.spans


def test_match_panes_prefix_then_contains() -> None:
    panes = [("overview", "Overview"), ("activity", "Activity"), ("kinesis", "Kinesis")]
    assert match_panes("ov", panes) == [("overview", "Overview")]
    assert match_panes("k", panes) == [("kinesis", "Kinesis")]
    assert match_panes("ti", panes) == [("activity", "Activity")]
    assert match_panes("tiv", panes) == [("activity", "Activity")]
    assert match_panes("", panes) == panes


def test_paused_gc_blocks_overlap_and_the_last_to_end_resumes_the_collector() -> None:
    import gc

    from tui.common.runtime import paused_gc

    assert gc.isenabled()
    first, second = paused_gc(), paused_gc()
    first.__enter__()
    assert not gc.isenabled()
    second.__enter__()
    first.__exit__(None, None, None)  # the polls end in any order
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled(), "a collector disabled before stays disabled"
    finally:
        gc.enable()


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's malloc_trim is Linux's")
def test_release_memory_reaches_the_c_allocator_on_linux() -> None:
    from tui.common.runtime import _malloc_trim, release_memory

    assert _malloc_trim() is not None, "glibc's malloc_trim not found: memory after a peak stays held"
    release_memory()


def test_tune_gc_raises_thresholds_and_never_lowers_them() -> None:
    import gc

    from tui.common.runtime import GC_THRESHOLDS, tune_gc

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLDS
        gc.set_threshold(100_000, 50, 50)
        tune_gc()
        assert gc.get_threshold() == (100_000, 50, 50)
    finally:
        gc.set_threshold(*before)
