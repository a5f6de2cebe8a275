"""Planning and scheduling an edition: one validation and one "commit, then enqueue".

The admin form (review, then confirm), the JSON API and tests all go through
`plan_edition` (validate everything, build what the review page shows) and
`schedule_edition` (create and commit the edition, then enqueue its start), so an
edition is checked by one set of rules whichever door it came in by. The form's
one-time key (a double click or a resubmitted form schedules one edition) lives here
too, beside the step it guards.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy.orm import Session

from .. import keys
from ..delivery import waves
from ..delivery.jobs import enqueue_start
from ..errors import Conflict, NewsletterError, ValidationError
from ..models import DeliveryMode, Edition, Editor, LateReaders, TopicUpdate, utcnow
from ..runtime import Runtime
from ..subscribers.audience import count_audience_by_zone
from ..subscribers.reader_time import local_moment
from . import editions as service
from .text import clean_text

NONCE_TTL = 12 * 3600


@dataclass
class EditionPlan:
    """A validated edition, not yet created: what the review page shows and confirm creates."""

    updates: list[TopicUpdate]
    fixed_subject: str | None  # None: each reader's copy gets a subject from their own topics
    example_subject: str
    send_at: datetime  # UTC
    zone: str  # the editor's time zone (IANA)
    send_now: bool
    recipients: int
    planned_at: datetime  # the confirmation, when the plan is the one confirmed
    delivery: DeliveryMode = DeliveryMode.AT_TIME
    local_time: str | None = None  # "HH:MM", local delivery only
    late_readers: LateReaders | None = None
    waves: list[waves.Wave] = field(default_factory=list)
    starts_at: datetime | None = None  # render + fan-out; None: send_at

    @property
    def update_ids(self) -> list[int]:
        return [u.id for u in self.updates]

    @property
    def is_local(self) -> bool:
        return self.delivery == DeliveryMode.LOCAL

    @property
    def late(self) -> int:
        """Readers whose moment has already passed (sent at once, or skipped)."""
        return sum(w.readers for w in self.waves if w.late)

    @property
    def skipping(self) -> bool:
        return self.late_readers == LateReaders.SKIP

    @property
    def first_moment(self) -> datetime | None:
        """When the first reader gets it (late readers sent at once: at confirmation)."""
        moments = self._moments()
        return min(moments) if moments else None

    @property
    def last_moment(self) -> datetime | None:
        moments = self._moments()
        return max(moments) if moments else None

    def _moments(self) -> list[datetime]:
        out = []
        for wave in self.waves:
            if not wave.late:
                out.append(wave.moment)
            elif not self.skipping:
                out.append(self.planned_at)
        return out

    @property
    def local(self) -> datetime:
        """The send time on the editor's clock."""
        return self.send_at.astimezone(ZoneInfo(self.zone))


def plan_edition(session: Session, *, update_ids: object, send_at: object = None,
                 timezone: object = "UTC", subject: object = None,
                 subject_required: bool = False, send_now: bool = False,
                 delivery: object = None, local_time: object = None,
                 late_readers: object = None, list_timezone: str = "UTC",
                 now: datetime | None = None) -> EditionPlan:
    """Check an edition request and build its plan; raises ValidationError naming the field.

    `send_now` sends at once; otherwise `send_at` (ISO-8601, or the form's local
    'YYYY-MM-DDTHH:MM', in `timezone`) is required. `subject` None or blank means a
    subject per copy, unless `subject_required` (the form's "same for everyone" choice).

    `delivery` 'local' sends each reader the edition at `local_time` ("HH:MM") on their own
    clock, on send_at's date in `timezone` (today, with `send_now`); `late_readers`
    ('send_now', the default, or 'skip') says what happens to readers whose moment has
    passed by now. The plan then carries the waves, from the readers' zones today.
    """
    now = now or utcnow()
    zone = service.check_timezone(timezone)
    mode = waves.parse_mode(delivery)
    at = waves.parse_local_time(local_time) if mode == DeliveryMode.LOCAL else None
    late = waves.parse_late_readers(late_readers) if at else None
    if not send_now and send_at in (None, ""):
        raise ValidationError("Choose a send time, or send now.", field="send_at")
    if at is not None:
        day = now.astimezone(ZoneInfo(zone)).date() if send_now else _local_day(send_at, zone)
        moment = _local_send_at(day, at, zone, now)
    elif send_now:
        moment = now
    else:
        moment = service.parse_send_at(send_at, zone, now=now)  # type: ignore[arg-type]
    updates = service.validate_updates(session, update_ids)
    if subject_required:
        fixed: str | None = clean_text(subject, "subject", max_len=300)
    else:
        fixed = service.fixed_subject(subject)
    plan = EditionPlan(
        updates=updates, fixed_subject=fixed, example_subject=service.default_subject(updates),
        send_at=moment, zone=zone, send_now=send_now, planned_at=now, delivery=mode,
        recipients=service.estimate_recipients(session, [u.id for u in updates]),
    )
    if at is not None:
        topics = [u.topic_id for u in updates]
        plan.local_time, plan.late_readers = at.strftime("%H:%M"), late
        plan.waves = waves.group(count_audience_by_zone(session, topics), day, at,
                                 list_timezone, now)
        plan.starts_at = waves.start_moment(plan.waves, late, now, fallback=moment)
    return plan


def _local_day(value: object, zone: str) -> date:
    """The delivery date of a local edition: send_at's date on the editor's clock."""
    if not isinstance(value, str):
        raise ValidationError("send_at must be an ISO-8601 date.", field="send_at")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(ZoneInfo(zone))
    except (ValueError, OverflowError) as exc:
        raise ValidationError("send_at must be an ISO-8601 date.", field="send_at") from exc
    return moment.date()


def _local_send_at(day: date, at: time, zone: str, now: datetime) -> datetime:
    """The editor's own wave moment, kept as send_at; refused when the day is over everywhere."""
    if day > (now + service.MAX_AHEAD).date():
        raise ValidationError("send_at is more than ten years away.", field="send_at")
    try:
        if local_moment(day, at, waves.LAST_ZONE) < now:
            raise ValidationError(f"{at:%H:%M} on {day:%-d %B %Y} has passed in every time "
                                  "zone.", field="send_at")
        return local_moment(day, at, ZoneInfo(zone))
    except OverflowError as exc:
        raise ValidationError("send_at is too far in the future.", field="send_at") from exc


class AlreadyScheduled(Conflict):
    """The form's one-time key was used already: here is the edition it created."""

    def __init__(self, edition_id: int) -> None:
        super().__init__("This edition was already scheduled; here it is.")
        self.edition_id = edition_id


def issue_nonce(redis: Redis, editor_id: int) -> str:
    """A one-time key for a review page's confirm button (kept 12 hours)."""
    nonce = secrets.token_urlsafe(18)
    redis.set(keys.edition_form(nonce), str(editor_id), ex=NONCE_TTL)
    return nonce


def _consume_nonce(redis: Redis, nonce: str) -> None:
    """The first request with this nonce wins (DEL is atomic); later ones are told why."""
    if not nonce or len(nonce) > 64:
        raise ValidationError("This form is missing its one-time key. Start again.")
    if redis.delete(keys.edition_form(nonce)) == 1:
        return
    created = redis.get(keys.edition_form_done(nonce))
    if created:
        raise AlreadyScheduled(int(created))
    raise Conflict("This form was already sent or has expired. Start a new edition.")


def schedule_edition(session: Session, runtime: Runtime, plan: EditionPlan,
                     editor: Editor | None = None, nonce: str | None = None) -> Edition:
    """Create the planned edition, commit, then enqueue its start (the tick is the safety net).

    With a `nonce` (the form's one-time key) the same form creates one edition however
    often it is sent: a repeat raises AlreadyScheduled with the first one's id. A failure
    while creating gives the key back, so the editor can correct and confirm again.
    """
    if nonce is not None:
        _consume_nonce(runtime.redis, nonce)
    try:
        edition = service.add_edition(
            session, plan.updates, plan.fixed_subject, plan.send_at, editor, plan.zone,
            delivery=plan.delivery, local_time=plan.local_time, late_readers=plan.late_readers,
            starts_at=plan.starts_at or plan.send_at, created_at=plan.planned_at)
        session.commit()
    except NewsletterError:
        session.rollback()
        if nonce is not None:
            runtime.redis.set(keys.edition_form(nonce), str(editor.id if editor else ""),
                              ex=NONCE_TTL)
        raise
    if nonce is not None:
        runtime.redis.set(keys.edition_form_done(nonce), edition.id, ex=NONCE_TTL)
    enqueue_start(runtime, edition)
    return edition
