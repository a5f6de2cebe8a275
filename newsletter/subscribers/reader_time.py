"""A reader's own clock: their zone, and when their daily or weekly briefing falls.

Everything about reader time that is arithmetic lives here, so the preferences page, the
tick that sends digests and local-time editions all agree to the minute, DST included.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ..models import Cadence

UTC = ZoneInfo("UTC")
_ZONES: frozenset[str] | None = None


def known_zones() -> frozenset[str]:
    """IANA names this machine knows (tzdata); read once, the set never changes at run time."""
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def valid_zone(name: str | None) -> str | None:
    """The IANA name when it is one, else None (the caller falls back to the list's zone)."""
    if not name:
        return None
    name = name.strip()
    if name not in known_zones():
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def zone_of(timezone: str | None, default: str) -> ZoneInfo:
    """The reader's zone, or the list's default zone when they gave none or an unknown one."""
    return ZoneInfo(valid_zone(timezone) or default)


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at wall-clock `at` in `zone`, as an aware UTC datetime.

    fold=0 (PEP 495) settles both DST edges: a wall time in the spring-forward gap (02:30
    that never shows) maps to the instant an hour later on the new clock (03:30), and a
    wall time that happens twice in autumn (01:30) maps to its first occurrence, so a
    reader never gets a briefing twice or not at all on those days.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def next_briefing_at(cadence: str, hour: int, weekday: int | None, zone: ZoneInfo,
                     after: datetime) -> datetime | None:
    """The first moment strictly after `after` (aware) at which this cadence's briefing falls.

    None for the `edition` cadence: those readers get editions, not scheduled briefings.
    `weekday` is 0 = Monday; a weekly reader without one gets Monday.
    """
    if cadence not in (Cadence.DAILY, Cadence.WEEKLY):
        return None
    at = time(hour=hour)
    day = after.astimezone(zone).date()
    for offset in range(0, 9):
        candidate_day = day + timedelta(days=offset)
        if cadence == Cadence.WEEKLY and candidate_day.weekday() != (weekday or 0):
            continue
        moment = local_moment(candidate_day, at, zone)
        if moment > after:
            return moment
    raise AssertionError("a daily or weekly moment always falls within nine days")
