"""Local delivery: an edition sent in waves, each reader at `local_time` on their own clock.

A wave is every reader whose moment is the same instant: zones that share an offset on
the delivery day (Europe/Paris and Europe/Berlin) are one wave. The arithmetic of a
reader's moment is `subscribers.reader_time`; this module groups readers into waves, says
which readers are late (their moment had passed when the editor confirmed), and turns that
into the per-zone schedule the fan-out writes into each ledger row in one statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from ..errors import ValidationError
from ..models import DeliveryMode, DeliveryStatus, Edition, LateReaders
from ..subscribers.reader_time import local_moment, zone_of

# The last clock on Earth to reach a wall time (UTC-12): after local_time there, the day is
# over for every possible reader.
LAST_ZONE = ZoneInfo("Etc/GMT+12")
SKIP_REASON = "skipped: their local time had passed when the edition was confirmed"


def parse_local_time(value: object) -> time:
    """'HH:MM' (24-hour clock) → time; anything else is a 422 naming the field."""
    if isinstance(value, str) and len(value.strip()) == 5 and value.strip()[2] == ":":
        hh, mm = value.strip()[:2], value.strip()[3:]
        if hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60:
            return time(int(hh), int(mm))
    raise ValidationError("local_time must be a time of day as HH:MM, e.g. 07:30.",
                          field="local_time")


def parse_mode(value: object) -> DeliveryMode:
    if value in (None, ""):
        return DeliveryMode.AT_TIME
    if isinstance(value, str) and value in DeliveryMode._value2member_map_:
        return DeliveryMode(value)
    raise ValidationError("delivery must be 'at_time' or 'local'.", field="delivery")


def parse_late_readers(value: object) -> LateReaders:
    if value in (None, ""):
        return LateReaders.SEND_NOW
    if isinstance(value, str) and value in LateReaders._value2member_map_:
        return LateReaders(value)
    raise ValidationError("late_readers must be 'send_now' or 'skip'.", field="late_readers")


@dataclass
class Wave:
    """Readers who get the edition at one instant (or, late, at once or never)."""

    moment: datetime  # UTC: local_time on the delivery day in these zones
    zones: list[str]
    readers: int = 0
    late: bool = False  # the moment had passed when the edition was confirmed
    counts: dict[str, int] = field(default_factory=dict)  # ledger status → rows, once started

    @property
    def sent(self) -> int:
        return self.counts.get(DeliveryStatus.SENT, 0)

    @property
    def skipped(self) -> int:
        return self.counts.get(DeliveryStatus.SKIPPED, 0)

    @property
    def failed(self) -> int:
        return self.counts.get(DeliveryStatus.FAILED, 0)

    @property
    def pending(self) -> int:
        return self.counts.get(DeliveryStatus.PENDING, 0) + self.counts.get(
            DeliveryStatus.SENDING, 0)


@dataclass(frozen=True)
class ZoneSlot:
    """What the fan-out writes for the readers of one stored zone value."""

    next_attempt_at: datetime | None  # None: due at once
    status: DeliveryStatus

    @property
    def reason(self) -> str | None:
        """The row's last_error: why a skipped reader gets nothing."""
        return SKIP_REASON if self.status == DeliveryStatus.SKIPPED else None


@dataclass(frozen=True)
class Schedule:
    """Stored zone value (None = the list's zone) → slot; `default` for any other value."""

    slots: dict[str | None, ZoneSlot]
    default: ZoneSlot


def delivery_day(edition: Edition) -> date:
    """The delivery date: send_at's date in the edition's (editor's) zone."""
    return edition.send_at.astimezone(ZoneInfo(edition.timezone)).date()


def moment_of(zone_name: str | None, day: date, at: time, list_timezone: str) -> datetime:
    return local_moment(day, at, zone_of(zone_name, list_timezone))


def group(readers_by_zone: Mapping[str | None, int], day: date, at: time, list_timezone: str,
          confirmed_at: datetime) -> list[Wave]:
    """Readers per stored zone → waves in time order (zones sharing a moment share a wave)."""
    waves: dict[datetime, Wave] = {}
    for name, readers in readers_by_zone.items():
        zone = zone_of(name, list_timezone)
        moment = local_moment(day, at, zone)
        wave = waves.setdefault(moment, Wave(moment, [], late=moment < confirmed_at))
        if zone.key not in wave.zones:
            wave.zones.append(zone.key)
        wave.readers += readers
    for wave in waves.values():
        wave.zones.sort()
    return [waves[m] for m in sorted(waves)]


def schedule(zone_names: list[str | None], day: date, at: time, list_timezone: str,
             confirmed_at: datetime, late_readers: str | None) -> Schedule:
    """Each stored zone value's slot: its moment, or for late readers now (None) or skipped."""

    def slot(name: str | None) -> ZoneSlot:
        moment = moment_of(name, day, at, list_timezone)
        if moment >= confirmed_at:
            return ZoneSlot(moment, DeliveryStatus.PENDING)
        if late_readers == LateReaders.SKIP:
            return ZoneSlot(None, DeliveryStatus.SKIPPED)
        return ZoneSlot(None, DeliveryStatus.PENDING)

    return Schedule({name: slot(name) for name in zone_names if name is not None}, slot(None))


def start_moment(waves: list[Wave], late_readers: str | None, now: datetime,
                 fallback: datetime) -> datetime:
    """When to render and fan out: the first wave to be sent, never before now.

    Late readers sent at once make that now; with nobody to send to yet, the editor's own
    moment (`fallback`), so readers who join meanwhile still get theirs.
    """
    sent = [w.moment for w in waves if not (w.late and late_readers == LateReaders.SKIP)]
    if any(w.late for w in waves if w.moment in sent):
        return now
    return max(min(sent, default=fallback), now)
