"""The pane registry: every name it gives resolves, and every reader of panes takes them from it."""

from __future__ import annotations

import pytest

from tui import panes
from tui.aws.clients import AwsTarget, ClientFactory
from tui.context import utc_clock
from tui.gameday import detect, record, report
from tui.gameday.detect import Detector
from tui.settings import Intervals, Settings


def test_each_pane_is_named_once_with_a_key_of_its_own() -> None:
    names = [p.name for p in panes.PANES]
    keys = [p.key for p in panes.PANES if p.key]
    assert len(set(names)) == len(names) and len(set(keys)) == len(keys)
    assert set(keys) <= set(panes.KEY_ORDER)
    # In the keyboard's order: 1 to 9, then 0, then the panes reached only by name.
    assert [p.key for p in panes.PANES] == sorted((p.key for p in panes.PANES), key=panes.key_order)
    assert [p.name for p in panes.PANES if not p.key] == ["wall"]
    assert panes.key_order("1") == 0 and panes.key_order("0") == 9 and panes.key_order("") == 10
    aliases = [a for p in panes.PANES for a in p.aliases]
    assert not set(aliases) & set(names)


@pytest.mark.parametrize("pane", panes.PANES, ids=lambda p: p.name)
def test_what_a_pane_names_exists(pane: panes.Pane) -> None:
    assert isinstance(panes.resolve(pane.screen), type)
    if not pane.live:
        assert not pane.snapshot and not pane.detect
        return
    cls = pane.snapshot_class()
    assert "fetched_at" in cls.__dataclass_fields__
    assert hasattr(Intervals(), pane.interval)
    factory = ClientFactory(AwsTarget(regions=("us-east-1",)))
    poller = pane.make_poller(factory, Settings(), utc_clock)
    assert callable(poller.poll)
    if pane.detect:
        assert callable(getattr(Detector(), pane.detect))


def test_aliases_find_their_pane() -> None:
    assert panes.pane("instances") is panes.pane("sessions")
    assert panes.pane("experiments").name == "fis"
    with pytest.raises(KeyError, match="the panes are overview, limits"):
        panes.pane("nope")


def test_the_codec_the_detector_and_the_report_read_the_registry() -> None:
    live = {p.name for p in panes.LIVE}
    assert live == record.PANES
    assert record.snapshot_class("sessions") is panes.pane("sessions").snapshot_class()
    assert set(detect.PANES) == {p.name for p in panes.LIVE if p.detect}
    assert set(report.DEFAULT_POLL_S) == live
    assert report.DEFAULT_POLL_S["findings"] == Intervals().findings
    assert {"limits", "kinesis"} == report.METRIC_PANES
    assert panes.pane("alarms").key == "0" and report.DEFAULT_POLL_S["alarms"] == Intervals().alarms == 60.0


def test_the_default_theme_the_settings_name_exists() -> None:
    from themes import DEFAULT_THEME, THEMES
    from tui import settings

    assert settings.DEFAULT_THEME == DEFAULT_THEME in {t.name for t in THEMES}
