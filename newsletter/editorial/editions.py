"""Creating editions: which published updates go out, to whom, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..bounces.policy import edition_bounces
from ..delivery import ledger, waves
from ..errors import ValidationError
from ..lookup import get_or_404, is_db_id
from ..mail.edition import MAX_ITEMS
from ..mail.headings import auto_subject
from ..models import (
    DeliveryMode,
    Edition,
    EditionItem,
    EditionKind,
    EditionStatus,
    Editor,
    TopicUpdate,
    UpdateStatus,
    utcnow,
)
from ..subscribers.audience import count_audience_by_zone
from ..subscribers.service import count_audience, count_by_topic
from .text import clean_text

PAST_TOLERANCE = timedelta(minutes=1)
# Far enough for any real plan; near enough that showing the time in any zone, or a reader's
# local delivery day, never runs past year 9999 (which raised OverflowError: a 500).
MAX_AHEAD = timedelta(days=3653)


def parse_send_at(value: str | None, tz_name: str = "UTC", now: datetime | None = None
                  ) -> datetime:
    """ISO-8601 (or the form's local 'YYYY-MM-DDTHH:MM') in `tz_name` → UTC; None is now."""
    now = now or utcnow()
    if value in (None, ""):
        return now
    zone = ZoneInfo(check_timezone(tz_name or "UTC"))
    if not isinstance(value, str):
        raise ValidationError("send_at must be an ISO-8601 date and time.", field="send_at")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError("send_at must be an ISO-8601 date and time.", field="send_at") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError as exc:  # 9999-12-31T23:59 east of UTC falls past year 9999
        raise ValidationError("send_at is too far in the future.", field="send_at") from exc
    if moment > now + MAX_AHEAD:
        raise ValidationError("send_at is more than ten years away.", field="send_at")
    if moment < now - PAST_TOLERANCE:
        raise ValidationError("The send time is in the past.", field="send_at")
    return moment


def default_subject(updates: list[TopicUpdate]) -> str:
    """The automatic subject of a reader who follows every topic of these updates."""
    return auto_subject([u.headline for u in updates])


def fixed_subject(subject: object) -> str | None:
    """The editor's own subject, or None (absent, null or blank) for a subject per copy."""
    if subject is None or (isinstance(subject, str) and not subject.strip()):
        return None
    return clean_text(subject, "subject", max_len=300)


def validate_updates(session: Session, update_ids: object) -> list[TopicUpdate]:
    """The published updates behind these ids, in the order given; every problem named."""
    if not isinstance(update_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in update_ids
    ):
        raise ValidationError("update_ids must be a list of ids.", field="update_ids")
    ids = list(dict.fromkeys(update_ids))
    if not ids:
        raise ValidationError("Choose at least one topic update.", field="update_ids")
    if len(ids) > MAX_ITEMS:
        raise ValidationError(f"An edition holds at most {MAX_ITEMS} updates.", field="update_ids")
    in_range = [i for i in ids if is_db_id(i)]
    found = {u.id: u for u in session.scalars(
        select(TopicUpdate).where(TopicUpdate.id.in_(in_range)))} if in_range else {}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError(f"Unknown update ids: {missing[:10]}", field="update_ids")
    drafts = [i for i in ids if found[i].status != UpdateStatus.PUBLISHED]
    if drafts:
        raise ValidationError(f"Updates {drafts[:10]} are drafts; publish them first.",
                              field="update_ids")
    return [found[i] for i in ids]


def check_timezone(tz_name: object) -> str:
    if not isinstance(tz_name, str) or not tz_name:
        raise ValidationError("Choose a time zone.", field="timezone")
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValidationError(f"Unknown time zone '{tz_name[:64]}'.", field="timezone") from exc
    return tz_name


def create_edition(session: Session, subject: str | None, update_ids: list[int],
                   send_at: datetime, editor: Editor | None = None, timezone: str = "UTC"
                   ) -> Edition:
    """An edition row without the send-time checks of `scheduling.plan_edition`.

    For fixtures, benchmarks and the tick's own editions, which may set any send time;
    editors' editions (form and API) go through `plan_edition` and `schedule_edition`.
    `subject` None (or blank) builds each copy's subject from that reader's own topics.
    """
    updates = validate_updates(session, update_ids)
    return add_edition(session, updates, fixed_subject(subject), send_at, editor,
                       check_timezone(timezone or "UTC"))


def add_edition(session: Session, updates: list[TopicUpdate], fixed: str | None,
                send_at: datetime, editor: Editor | None, zone: str, **extra: object) -> Edition:
    """The edition row of validated parts, flushed (the caller commits)."""
    edition = Edition(
        subject=fixed or default_subject(updates), auto_subject=fixed is None, send_at=send_at,
        status=EditionStatus.SCHEDULED, editor_id=editor.id if editor else None, timezone=zone,
        items=[EditionItem(update_id=u.id, position=i) for i, u in enumerate(updates)], **extra,
    )
    session.add(edition)
    session.flush()
    return edition


def get_edition(session: Session, edition_id: int) -> Edition:
    return get_or_404(session, Edition, edition_id, f"No edition {edition_id}.")


def edition_status(session: Session, edition_id: int) -> dict[str, object]:
    edition = get_edition(session, edition_id)
    counts = ledger.counts(session, edition_id)
    data: dict[str, object] = {"id": edition.id, "status": edition.status, **counts.as_dict()}
    if edition.status == EditionStatus.SCHEDULED:
        data["total"] = estimate_recipients(session, [i.update_id for i in edition.items])
        data["pending"] = data["total"]
    data["send_at"] = edition.send_at.isoformat()
    data["subject"] = None if edition.auto_subject else edition.subject  # null: one per copy
    data["pause_reason"] = edition.pause_reason
    data.update(edition_bounces(session, edition_id).as_dict())
    return data


def estimate_recipients(session: Session, update_ids: list[int]) -> int:
    """Active subscribers who follow at least one topic of these updates."""
    topic_ids = select(TopicUpdate.topic_id).where(TopicUpdate.id.in_(update_ids))
    return count_audience(session, topic_ids)


def unsent_published_updates(session: Session) -> list[TopicUpdate]:
    """Default selection for a new edition: published updates not in any edition yet.

    Only a cancelled edition gives its updates back; one that is scheduled or paused
    still holds them, so they are not offered twice.
    """
    sent = (
        select(EditionItem.update_id)
        .join(Edition)
        .where(Edition.status != EditionStatus.CANCELLED, Edition.kind == EditionKind.EDITION)
    )
    return list(
        session.scalars(
            select(TopicUpdate)
            .where(TopicUpdate.status == UpdateStatus.PUBLISHED, TopicUpdate.id.not_in(sent))
            .order_by(TopicUpdate.created_at)
        )
    )


@dataclass(frozen=True)
class TopicReach:
    slug: str
    name: str
    recipients: int


def recipients_by_topic(session: Session, edition: Edition) -> list[TopicReach]:
    """How many people get each topic: from the ledger once fanned out, else an estimate."""
    topics = {}
    for item in edition.items:
        topics.setdefault(item.update.topic_id, item.update.topic)
    if not topics:
        return []
    if edition.started_at is not None:
        counts = ledger.readers_per_topic(session, edition.id, topics)
    else:
        counts = count_by_topic(session, editions=True)
    return [TopicReach(t.slug, t.name, int(counts.get(tid, 0))) for tid, t in topics.items()]


def edition_waves(session: Session, edition: Edition, list_timezone: str) -> list[waves.Wave]:
    """A local edition's waves: zone groups, their moment and readers, and once fanned out
    what each has sent, has pending or skipped. Empty for an edition sent at one time."""
    if edition.delivery != DeliveryMode.LOCAL or not edition.local_time:
        return []
    day, at = waves.delivery_day(edition), waves.parse_local_time(edition.local_time)
    if edition.started_at is None:
        topics = [i.update.topic_id for i in edition.items]
        return waves.group(count_audience_by_zone(session, topics), day, at, list_timezone,
                           edition.created_at)
    per_zone: dict[str | None, dict[str, int]] = {}
    for (zone, status), n in ledger.zone_counts(session, edition.id).items():
        per_zone.setdefault(zone, {})[status] = n
    plan = waves.group({z: sum(c.values()) for z, c in per_zone.items()}, day, at,
                       list_timezone, edition.created_at)
    by_moment = {w.moment: w for w in plan}
    for zone, counts in per_zone.items():
        wave = by_moment[waves.moment_of(zone, day, at, list_timezone)]
        for status, n in counts.items():
            wave.counts[status] = wave.counts.get(status, 0) + n
    return plan


def delivery_errors(session: Session, edition_id: int, limit: int = 100
                    ) -> list[ledger.Problem]:
    """Failed deliveries and ones waiting for a retry, with the server's last answer."""
    return ledger.problems(session, edition_id, limit)


def published_updates(session: Session, limit: int = 200) -> list[TopicUpdate]:
    return list(session.scalars(
        select(TopicUpdate).where(TopicUpdate.status == UpdateStatus.PUBLISHED)
        .order_by(TopicUpdate.created_at.desc()).limit(limit)
    ))


def list_editions(session: Session, page: int = 1, per_page: int = 50,
                  kind: str = EditionKind.EDITION) -> list[Edition]:
    """Editors' editions by default; `kind` digest or welcome lists the briefings the
    service built for daily/weekly and newly confirmed readers instead."""
    return list(session.scalars(
        select(Edition).where(Edition.kind == kind)
        .order_by(Edition.send_at.desc(), Edition.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    ))


def set_public(session: Session, edition_id: int, public: bool) -> Edition:
    """Whether the edition shows in the public archive and its feed (the default)."""
    edition = get_edition(session, edition_id)
    edition.public = public
    session.flush()
    return edition
