"""The header's layout: what gives way, in which order, when the terminal is narrow."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.frozen import FROZEN
from tui.app import alert_text
from tui.common.timefmt import clock_text, zulu_text
from tui.gameday.services import ServiceStatus, default_demo_services
from widgets.header import HeaderFields, header_lines, regions_text, shorten

ACCOUNT = "123456789012"
PROFILE = "payments-prod-breakglass-oncall"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")


def _longest_alert() -> str:
    """The demo's services all in breach for over an hour: the longest timer the header shows."""
    names = sorted((s.name for s in default_demo_services()), key=len, reverse=True)
    statuses = tuple(
        ServiceStatus(
            name=name,
            tolerance_s=900.0,
            impaired_since=FROZEN - timedelta(hours=1, minutes=2),
            impaired_s=3723.0,
            total_impaired_s=3723.0,
            breached=True,
            signals=("lambda.errors payments-ledger-writer",),
        )
        for name in names
    )
    return alert_text(statuses)


def _longest_replay() -> str:
    """The REPLAY badge as ``ReplayDriver.badge`` writes it, at its widest."""
    return f"REPLAY ▶ {zulu_text(FROZEN)} {clock_text(10799)}/{clock_text(10800)} 300x"


LONGEST = HeaderFields(
    pane="Experiments",
    account=ACCOUNT,
    profile=PROFILE,
    regions=REGIONS,
    alert=_longest_alert(),
    replay=_longest_replay(),
    demo=True,
    read_only=True,
)
LIVE = HeaderFields(
    pane="Experiments",
    account=ACCOUNT,
    profile=PROFILE,
    regions=REGIONS,
    alert=_longest_alert(),
    demo=True,
    read_only=True,
)


def _texts(fields: HeaderFields, width: int) -> list[str]:
    lines = header_lines(fields, width)
    texts = ["".join(text for text, _ in line) for line in lines]
    assert all(len(t) == width for t in texts), "every line fills the header's width, no more"
    return texts


def _never_shrunk(fields: HeaderFields, texts: list[str]) -> None:
    joined = "\n".join(texts)
    for whole in (f"acct {ACCOUNT}", fields.alert, fields.replay, "DEMO", "READ-ONLY"):
        if whole:
            assert whole in joined, whole


@pytest.mark.parametrize("width", [80, 100, 200])
def test_the_account_badges_and_timers_are_whole_at_every_width(width: int) -> None:
    for fields in (LONGEST, LIVE):
        _never_shrunk(fields, _texts(fields, width))


def test_at_200_columns_everything_shows_on_one_line() -> None:
    (line,) = _texts(LIVE, 200)
    assert line.startswith(f" warroom │ Experiments │ acct {ACCOUNT}  profile {PROFILE}  region ")
    assert "us-east-1,eu-west-1,ap-southeast-2" in line
    assert line.endswith(f" {LIVE.alert}   DEMO   READ-ONLY ")
    (replaying,) = _texts(LONGEST, 200)
    assert f"acct {ACCOUNT}  profile {PROFILE}  region us-east-1 +2 " in replaying, (
        "the regions shorten first, the app's name goes"
    )


def test_at_100_columns_the_regions_and_the_profile_shorten_and_the_timers_move_below() -> None:
    first, second = _texts(LONGEST, 100)
    assert first.startswith(f" Experiments │ acct {ACCOUNT}  profile payments-prod")
    assert "…  region us-east-1 +2" in first and PROFILE not in first
    assert first.endswith(" DEMO   READ-ONLY ")
    assert second.strip() == f"{LONGEST.alert}   {LONGEST.replay}"
    (live,) = _texts(LIVE, 100)
    assert live.startswith(f" Experiments │ acct {ACCOUNT} ") and "profile" not in live


def test_at_80_columns_the_profile_and_the_pane_title_shorten_after_the_regions() -> None:
    lines = _texts(LONGEST, 80)
    assert len(lines) == 3, "neither timer fits beside the other: one line each"
    assert lines[0].startswith(f" Exp… │ acct {ACCOUNT}  profile paym…  region us-east-1 +2")
    assert [line.strip() for line in lines[1:]] == [LONGEST.alert, LONGEST.replay]
    (live,) = _texts(LIVE, 80)
    assert live.startswith(f" acct {ACCOUNT} ") and live.endswith(f"{LIVE.alert} DEMO READ-ONLY")


def test_the_demo_keeps_everything_at_80_columns() -> None:
    demo = HeaderFields(pane="Experiments", account=ACCOUNT, regions=("us-east-1",), demo=True)
    (line,) = _texts(demo, 80)
    assert line.startswith(f" Experiments │ acct {ACCOUNT}  profile default  region us-east-1 ")
    assert line.endswith(" DEMO ")


def test_an_identity_problem_keeps_the_start_of_its_reason() -> None:
    problem = HeaderFields(
        pane="Limits",
        identity_problem="The SSO session for profile prod has expired: run aws sso login --profile prod",
        profile="prod",
        regions=("us-east-1", "eu-west-1"),
    )
    (wide,) = _texts(problem, 200)
    assert problem.identity_problem in wide and "profile prod  region us-east-1,eu-west-1" in wide
    (narrow,) = _texts(problem, 80)
    assert "⚠ identity unknown: The SSO session for profile …  region us-east-1 +1" in narrow
    (tiny,) = _texts(problem, 30)
    assert tiny.startswith(" ⚠ identity unknown")


def test_the_pieces() -> None:
    assert shorten("payments-prod", 5) == "paym…"
    assert shorten("prod", 5) == "prod"
    assert regions_text(REGIONS, short=True) == "us-east-1 +2"
    assert regions_text(REGIONS, short=False) == "us-east-1,eu-west-1,ap-southeast-2"
    assert regions_text((), short=True) == "?"


def test_the_muted_alarms_reminder_is_never_cut_and_moves_below_with_the_timers() -> None:
    muted = "⊘ 12 alarms muted 1:59:59 left"
    demo = HeaderFields(pane="Alarms", account=ACCOUNT, regions=("us-east-1",), demo=True, muted=muted)
    (line,) = _texts(demo, 80)
    assert f" │ acct {ACCOUNT}  region us-east-1 " in line and line.endswith(f" {muted} DEMO")
    crowded = HeaderFields(
        pane="Alarms", account=ACCOUNT, profile=PROFILE, regions=REGIONS, alert=_longest_alert(),
        muted=muted, demo=True, read_only=True,
    )  # fmt: skip
    lines = _texts(crowded, 80)
    assert len(lines) > 1 and muted in "\n".join(lines[1:]), "the reminder goes below, whole"
    assert lines[0].endswith(" DEMO   READ-ONLY ")
