"""A reader's timing choices (zone, cadence, hour, weekday) and the one rule that keeps
`next_briefing_at` right whenever those choices or the reader's status change.

The tick that sends briefings (delivery/briefings) reads `next_briefing_at` alone, so every
path that can start or stop a reader's briefings sets it: saving the preferences,
confirming, resuming (by hand or when a pause runs out) and coming back after
unsubscribing. A daily or weekly reader who becomes active gets the first slot after that
moment, never one that passed while they were away. Paused readers get nothing: the tick
sends to active readers only and just moves a paused reader's slot on, so a reader paused
until a date keeps a slot (the first one after the pause), and `last_briefing_at` stays
where it was, so the first briefing after a pause catches up on what they missed. A
reader who left or never confirmed has none. On the `edition` cadence the column holds
only a one-off catch-up (delivery/briefings sends what no edition brought them since
`last_briefing_at`): after a pause, and when a reader moves from a digest back to editions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import defaults
from ..errors import NotFound, ValidationError
from ..models import Cadence, Subscriber, SubscriberStatus, utcnow
from . import reader_time, zones

FIELDS = ("timezone", "cadence", "hour", "weekday")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
BRIEFED = (Cadence.DAILY, Cadence.WEEKLY)
MESSAGES = {
    "timezone": "Choose a time zone from the list.",
    "cadence": "Choose how often: every edition, daily or weekly.",
    "hour": "Choose an hour from 0 to 23.",
    "weekday": "Choose a day of the week.",
}


def _zone(raw: str) -> str | None:
    if not raw:
        return None  # the list's zone
    zone = zones.canonical(raw)
    if zone is None:
        raise ValueError(raw)
    return zone


def _cadence(raw: str) -> Cadence:
    return Cadence(raw.lower())


def _hour(raw: str) -> int:
    hours, _, minutes = raw.partition(":")  # "7", "07" and "07:00" all mean seven o'clock
    if minutes and minutes not in ("0", "00"):
        raise ValueError(raw)
    hour = int(hours)
    if not 0 <= hour <= 23:
        raise ValueError(raw)
    return hour


def _weekday(raw: str) -> int | None:
    if not raw:
        return None
    names = [d.lower() for d in WEEKDAYS]
    if raw.lower() in names:
        return names.index(raw.lower())
    day = int(raw)
    if not 0 <= day <= 6:
        raise ValueError(raw)
    return day


_PARSERS = {"timezone": _zone, "cadence": _cadence, "hour": _hour, "weekday": _weekday}


def read_choices(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The timing fields present in `values` (form or JSON), parsed, and every problem by
    field, so a form can show them all at once. Absent fields are not in either."""
    parsed: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name in FIELDS:
        if name not in values or values[name] is None:
            continue
        raw = str(values[name]).strip()[:200]
        try:
            parsed[name] = _PARSERS[name](raw)
        except ValueError:
            problems[name] = MESSAGES[name]
    return parsed, problems


def reschedule(subscriber: Subscriber, list_zone: str, now: datetime | None = None) -> None:
    """Set next_briefing_at from the reader's status, cadence and clock, as of `now`.

    None unless the reader is active or paused; for a daily or weekly reader the first slot
    strictly after `now` (after the pause, for one paused until a date) in their zone (the
    list's when they gave none); on the edition cadence a pending one-off catch-up stays.
    """
    if subscriber.status not in (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED):
        subscriber.next_briefing_at = None
        return
    if subscriber.cadence not in BRIEFED:
        return
    after = now or utcnow()
    if subscriber.status == SubscriberStatus.PAUSED and subscriber.paused_until is not None:
        after = max(after, subscriber.paused_until)
    subscriber.next_briefing_at = reader_time.next_briefing_at(
        subscriber.cadence, subscriber.briefing_hour, subscriber.briefing_weekday,
        reader_time.zone_of(subscriber.timezone, list_zone), after)


def set_choices(session: Session, subscriber_id: int, values: Mapping[str, Any],
                list_zone: str = defaults.LIST_TIMEZONE, now: datetime | None = None
                ) -> Subscriber:
    """Save the reader's zone, cadence, hour and weekday (whichever `values` carries).

    Every value is checked before anything changes (ValidationError names the first bad
    field). Moving from editions to a daily or weekly briefing starts the briefing's
    memory now: the editions already sent cover everything before, so the first digest
    does not replay history (unless a catch-up after a pause was still to come: then the
    first digest brings it). Moving from a digest back to editions leaves no gap either:
    what was published since the last digest comes as a one-off catch-up at the next
    tick, without what an edition already brought. A weekly reader without a weekday
    gets Monday.
    """
    parsed, problems = read_choices(values)
    if problems:
        field, message = next(iter(problems.items()))
        raise ValidationError(message, field=field)
    now = now or utcnow()
    subscriber = session.scalar(
        select(Subscriber).where(Subscriber.id == subscriber_id).with_for_update()
        .execution_options(populate_existing=True))
    if subscriber is None:
        raise NotFound("We could not find this subscription. It may have been erased.")
    before = subscriber.cadence
    catch_up_pending = before not in BRIEFED and subscriber.next_briefing_at is not None
    if "timezone" in parsed:
        subscriber.timezone = parsed["timezone"]
    if "cadence" in parsed:
        subscriber.cadence = parsed["cadence"]
    if "hour" in parsed:
        subscriber.briefing_hour = parsed["hour"]
    if parsed.get("weekday") is not None:
        subscriber.briefing_weekday = parsed["weekday"]
    if subscriber.cadence == Cadence.WEEKLY and subscriber.briefing_weekday is None:
        subscriber.briefing_weekday = 0
    if subscriber.cadence in BRIEFED and (
            (before not in BRIEFED and not catch_up_pending)
            or subscriber.last_briefing_at is None):
        subscriber.last_briefing_at = now
    if subscriber.cadence not in BRIEFED and before in BRIEFED:
        subscriber.next_briefing_at = now if subscriber.last_briefing_at is not None else None
    reschedule(subscriber, list_zone, now)
    session.flush()
    return subscriber


def upcoming(subscriber: Subscriber, list_zone: str, now: datetime | None = None
             ) -> datetime | None:
    """When this daily or weekly reader's next briefing goes out, for their preferences page.

    The stored slot for an active reader; for a reader paused until a date, the first
    slot after it (nothing is stored while paused); None otherwise.
    """
    if subscriber.cadence not in BRIEFED:
        return None
    if subscriber.status == SubscriberStatus.ACTIVE:
        if subscriber.next_briefing_at is not None:
            return subscriber.next_briefing_at
        after = now or utcnow()
    elif subscriber.status == SubscriberStatus.PAUSED and subscriber.paused_until is not None:
        after = max(now or utcnow(), subscriber.paused_until)
    else:
        return None
    return reader_time.next_briefing_at(
        subscriber.cadence, subscriber.briefing_hour, subscriber.briefing_weekday,
        reader_time.zone_of(subscriber.timezone, list_zone), after)
