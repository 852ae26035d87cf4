"""Plans for the Alarms pane, and the mutes this console made.

Mute and unmute are DisableAlarmActions / EnableAlarmActions: the alarms keep evaluating and changing
state, and notify nobody (no SNS topic, Auto Scaling policy or EC2 action) while muted. A mute takes
a reason and a duration: ``MuteBook`` keeps what this console muted and until when, so the header
reminds of it, the console offers to unmute when the time is up, and quitting lists what is still
muted. Only alarms whose actions are enabled are muted, and only those this console muted (or that
are muted) are unmuted: an alarm someone else silenced stays as they left it.

Set state is SetAlarmState with a reason, to prove a notification path in a rehearsal: the alarm
goes back to the state its data says at its next evaluation, as in AWS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tui.aws.actions.core import (
    ActionResult,
    ApiCall,
    Plan,
    in_place,
    place_note,
    titled_in,
    unreached_refusal,
)
from tui.aws.alarms_model import ALARM, COMPOSITE, STATES, Alarm, period_text
from tui.aws.scope import Place, acting_place
from tui.common.durations import DurationError, parse_duration
from tui.common.timefmt import clock_text, compact_duration_text

SERVICE = "cloudwatch"
MAX_NAMES = 100
"""AlarmNames per DisableAlarmActions / EnableAlarmActions call."""
MAX_REASON = 1023
"""SetAlarmState's StateReason limit, also the mute reason's."""
MAX_MUTE_S = 24 * 3600.0
"""The longest mute this console makes: a longer silence is a change to the alarm, not a rehearsal."""
SHOWN_NAMES = 12


def _plural(count: int, word: str = "alarm") -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _names(alarms: Sequence[Alarm]) -> str:
    names = [a.name for a in alarms[:SHOWN_NAMES]]
    more = f" and {len(alarms) - SHOWN_NAMES} more" if len(alarms) > SHOWN_NAMES else ""
    return ", ".join(names) + more


def _which(alarms: Sequence[Alarm]) -> str:
    return "this alarm" if len(alarms) == 1 else "every selected alarm"


Where = dict[tuple[str, str], Place | None]
"""Each (account id, region) of the alarms a plan acts on -> the place its calls run in (None: not
reached now)."""


def _where(alarms: Sequence[Alarm], places: Iterable[Place] | None) -> tuple[Where, str]:
    """Where the calls for ``alarms`` run, and why the plan must be refused ("" when it may run):
    an account not reached in the alarm's region now. ``places`` None: a console of one account,
    whose calls all run with its credential (no place named)."""
    if places is None:
        return {}, ""
    known = tuple(places)
    where: Where = {}
    for alarm in alarms:
        key = (alarm.account_id, alarm.region)
        if key not in where:
            where[key] = acting_place(known, alarm.region, alarm.account_id)
    for (account, region), place in where.items():
        if place is None:
            name = next((p.account_name for p in known if p.account_id == account and p.account_name), "")
            return where, unreached_refusal(account, region, name)
    return where, ""


def _calls(operation: str, alarms: Sequence[Alarm], where: Where) -> tuple[ApiCall, ...]:
    """One call per account and region, and per 100 alarm names, each in its account."""
    by_place: dict[tuple[str, str], list[str]] = {}
    for alarm in alarms:
        by_place.setdefault((alarm.account_id, alarm.region), []).append(alarm.name)
    calls: list[ApiCall] = []
    for (account, region), names in by_place.items():
        place = where.get((account, region))
        for start in range(0, len(names), MAX_NAMES):
            call = ApiCall(SERVICE, operation, region, {"AlarmNames": names[start : start + MAX_NAMES]})
            calls.append(in_place(call, place))
    return tuple(calls)


def _elsewhere(where: Where) -> list[Place]:
    """The places of accounts other than the credential's among ``where``, once each."""
    return list(dict.fromkeys(p for p in where.values() if p is not None and not p.home))


def _in_accounts(title: str, notes: Sequence[str], where: Where) -> tuple[str, tuple[str, ...]]:
    """The title naming the one account a plan acts in when it is not the credential's (or the one
    not reached), and a note for each other account it acts in."""
    accounts = {account for account, _ in where}
    away = _elsewhere(where)
    if len(accounts) == 1 and (away or None in where.values()):
        account = next(iter(accounts))
        name = away[0].account_name if away else ""
        title = titled_in(title, name or account)
    return title, (*(place_note(p) for p in away), *notes)


def acted_on(plan: Plan, result: ActionResult, alarms: Sequence[Alarm]) -> list[Alarm]:
    """Those of ``alarms`` the calls that were made named (all of them, or those before a failure),
    each in its account and region: an alarm of the same name elsewhere is not one of them."""
    made = plan.calls[: len(result.outputs)]
    out = []
    for alarm in alarms:
        for call in made:
            listed = call.params.get("AlarmNames")
            if (
                call.region == alarm.region
                and (not call.account_id or call.account_id == alarm.account_id)
                and isinstance(listed, list | tuple)
                and alarm.name in listed
            ):
                out.append(alarm)
                break
    return out


def _key(alarms: Sequence[Alarm]) -> str:
    if len(alarms) == 1:
        return f"cloudwatch:{alarms[0].region}:{alarms[0].name}"
    return "cloudwatch:alarms"


def mute_duration(text: str) -> tuple[float | None, str]:
    """(seconds, "") for a mute's duration as typed ("30m", "2h"), or (None, why not)."""
    if not text.strip():
        return None, "a duration is required (e.g. 30m or 2h): the console offers to unmute when it ends"
    try:
        seconds = parse_duration(text, what="the duration")
    except DurationError as exc:
        return None, str(exc)
    if seconds > MAX_MUTE_S:
        return None, (
            f"{compact_duration_text(seconds)} is longer than the {compact_duration_text(MAX_MUTE_S)} this "
            "console mutes for: a longer silence is a change to the alarm, not a rehearsal"
        )
    return seconds, ""


def mute_plan(
    alarms: Sequence[Alarm], reason: str, duration: str, *, places: Iterable[Place] | None = None
) -> Plan:
    """DisableAlarmActions for those of ``alarms`` whose actions are enabled, each in its account
    (``places``: where the console reaches each account, ``ClientFactory.places``; None in a console
    of one account)."""
    reason = reason.strip()
    chosen = [a for a in alarms if not a.muted]
    already = [a for a in alarms if a.muted]
    seconds, duration_problem = mute_duration(duration)
    length = compact_duration_text(seconds) if seconds is not None else duration.strip() or "?"
    where, unreached = _where(chosen, places)
    refusal = ""
    if not alarms:
        refusal = "no alarm is selected"
    elif not chosen:
        refusal = f"the actions of {_which(alarms)} are already disabled"
    elif not reason:
        refusal = "a reason is required: say why they stay silent (the journal and the audit log keep it)"
    elif len(reason) > MAX_REASON:
        refusal = f"the reason can be at most {MAX_REASON} characters"
    elif duration_problem:
        refusal = duration_problem
    refusal = unreached or refusal
    what = chosen[0].name if len(chosen) == 1 else _plural(len(chosen))
    title = f"Mute {what} for {length}: {reason}" if reason else f"Mute {what} for {length}"
    notes = [
        "Muted alarms still evaluate and change state; the pane, the journal and the report still see them.",
        f"The header reminds you while they stay muted; after {length} the console offers to unmute them, "
        "and quitting lists what is still muted.",
    ]
    if already:
        notes.append(f"Already muted, left as they are: {_names(already)}.")
    title, placed_notes = _in_accounts(title + (": refused" if refusal else ""), notes, where)
    return Plan(
        title=title,
        why=(
            "DisableAlarmActions stops the notifications and actions (SNS topics, Auto Scaling, EC2 "
            f"actions) of "
            f"{_names(chosen) if chosen else 'the selected alarms'}."
        ),
        calls=_calls("DisableAlarmActions", chosen, where),
        refusal=refusal,
        notes=placed_notes,
        key=_key(chosen or alarms),
    )


def unmute_plan(alarms: Sequence[Alarm], *, why: str = "", places: Iterable[Place] | None = None) -> Plan:
    """EnableAlarmActions for those of ``alarms`` whose actions are disabled, each in its account
    (``places`` as for ``mute_plan``)."""
    chosen = [a for a in alarms if a.muted or a.actions_enabled is None]
    where, unreached = _where(chosen, places)
    refusal = ""
    if not alarms:
        refusal = "no alarm is selected"
    elif not chosen:
        refusal = f"the actions of {_which(alarms)} are enabled already"
    refusal = unreached or refusal
    what = chosen[0].name if len(chosen) == 1 else _plural(len(chosen))
    notes = []
    firing = [a for a in chosen if a.state == ALARM]
    if firing:
        notes.append(
            f"In ALARM now: {_names(firing)}. Unmuting sends nothing for it: AWS acts on a change of state, "
            "so the next notification comes with the next transition."
        )
    title, placed_notes = _in_accounts(f"Unmute {what}" + (": refused" if refusal else ""), notes, where)
    return Plan(
        title=title,
        why=why
        or (
            f"EnableAlarmActions turns the notifications and actions of "
            f"{_names(chosen) if chosen else 'the selected alarms'} back on."
        ),
        calls=_calls("EnableAlarmActions", chosen, where),
        refusal=refusal,
        notes=placed_notes,
        key=_key(chosen or alarms),
    )


def set_state_plan(
    alarm: Alarm | None, state: str, reason: str, *, places: Iterable[Place] | None = None
) -> Plan:
    """SetAlarmState of one alarm to ``state`` (ALARM, OK or INSUFFICIENT_DATA), with a reason, in
    its account (``places`` as for ``mute_plan``)."""
    reason = reason.strip()
    state = state.strip().upper()
    if alarm is None:
        return Plan(title="Set an alarm's state: refused", why="", calls=(), refusal="no alarm is selected")
    where, unreached = _where([alarm], places)
    call = ApiCall(
        SERVICE,
        "SetAlarmState",
        alarm.region,
        {"AlarmName": alarm.name, "StateValue": state, "StateReason": reason},
    )
    call = in_place(call, where.get((alarm.account_id, alarm.region)))
    refusal = ""
    if state not in STATES:
        refusal = f"{state or 'no state'!r} is not a state: write ALARM, OK or INSUFFICIENT_DATA"
    elif not reason:
        refusal = "a reason is required: say what the test proves (AWS keeps it as the state reason)"
    elif len(reason) > MAX_REASON:
        refusal = f"the reason can be at most {MAX_REASON} characters"
    refusal = unreached or refusal
    notes = []
    if alarm.kind == COMPOSITE:
        notes.append(
            "A composite alarm returns to its evaluated state only when one of its children changes state."
        )
    else:
        notes.append(
            "The alarm returns to the state its data says at its next evaluation "
            f"(every {period_text(alarm.period)})."
        )
    if alarm.muted:
        notes.append("Its actions are disabled (muted): the change notifies nobody.")
    elif alarm.actions:
        notes.append("Its actions for the new state run as they would for a real change: that is the test.")
    title, placed_notes = _in_accounts(
        f"Set {alarm.name} to {state or '?'}" + (": refused" if refusal else ""), notes, where
    )
    return Plan(
        title=title,
        why=(
            f"SetAlarmState puts the alarm in {state or '?'} for a test, with the reason given; "
            f"it is {alarm.state} now."
        ),
        calls=(call,),
        refusal=refusal,
        notes=placed_notes,
        key=_key([alarm]),
    )


# ---------------------------------------------------------------------------------------------
# What this console muted
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mute:
    """One alarm this console muted, why, and until when."""

    key: str
    name: str
    region: str
    reason: str
    muted_at: datetime
    until: datetime
    offered: bool = False
    """The console offered to unmute it once its time was up."""


class MuteBook:
    """The alarms this console muted and that are still muted (no Textual, no I/O)."""

    def __init__(self) -> None:
        self._mutes: dict[str, Mute] = {}

    def __len__(self) -> int:
        return len(self._mutes)

    def __contains__(self, key: object) -> bool:
        return key in self._mutes

    def add(self, alarms: Iterable[Alarm], reason: str, seconds: float, now: datetime) -> None:
        until = now + timedelta(seconds=seconds)
        for alarm in alarms:
            self._mutes[alarm.key] = Mute(alarm.key, alarm.name, alarm.region, reason, now, until)

    def remove(self, keys: Iterable[str]) -> list[Mute]:
        return [m for m in (self._mutes.pop(k, None) for k in keys) if m is not None]

    def get(self, key: str) -> Mute | None:
        return self._mutes.get(key)

    def active(self) -> tuple[Mute, ...]:
        """Every mute, the first to end first."""
        return tuple(sorted(self._mutes.values(), key=lambda m: (m.until, m.name)))

    def due(self, now: datetime) -> tuple[Mute, ...]:
        """Mutes whose time is up and that were not offered to unmute yet."""
        return tuple(m for m in self.active() if m.until <= now and not m.offered)

    def offered(self, keys: Iterable[str]) -> None:
        for key in keys:
            mute = self._mutes.get(key)
            if mute is not None:
                self._mutes[key] = replace(mute, offered=True)

    def reconcile(
        self, alarms: Sequence[Alarm], fetched_at: datetime, failed_regions: Iterable[str] = ()
    ) -> list[Mute]:
        """Forget the mutes a poll started after them shows undone: the alarm's actions enabled again
        (by someone else), or the alarm gone from a region that listed its alarms. Returns them."""
        by_key = {a.key: a for a in alarms}
        failed = set(failed_regions)
        gone: list[str] = []
        for key, mute in self._mutes.items():
            if fetched_at <= mute.muted_at:
                continue
            alarm = by_key.get(key)
            if (alarm is None and mute.region not in failed) or (alarm is not None and alarm.actions_enabled):
                gone.append(key)
        return self.remove(gone)

    def reminder(self, now: datetime) -> str:
        """The header's reminder: ``⊘ 2 muted 29:41`` (the time left of the first to end), or
        ``⊘ 2 muted +03:10 over`` once it is up; "" when nothing is muted."""
        mutes = self.active()
        if not mutes:
            return ""
        left = (mutes[0].until - now).total_seconds()
        count = f"⊘ {_plural(len(mutes))} muted"
        if left > 0:
            return f"{count} {clock_text(left)} left"
        return f"{count} {clock_text(-left)} over"
