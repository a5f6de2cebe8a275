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
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy.orm import Session

from .. import keys
from ..delivery.jobs import enqueue_start
from ..errors import Conflict, NewsletterError, ValidationError
from ..models import Edition, Editor, TopicUpdate, utcnow
from ..runtime import Runtime
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

    @property
    def update_ids(self) -> list[int]:
        return [u.id for u in self.updates]

    @property
    def local(self) -> datetime:
        """The send time on the editor's clock."""
        return self.send_at.astimezone(ZoneInfo(self.zone))


def plan_edition(session: Session, *, update_ids: object, send_at: object = None,
                 timezone: object = "UTC", subject: object = None,
                 subject_required: bool = False, send_now: bool = False,
                 now: datetime | None = None) -> EditionPlan:
    """Check an edition request and build its plan; raises ValidationError naming the field.

    `send_now` sends at once; otherwise `send_at` (ISO-8601, or the form's local
    'YYYY-MM-DDTHH:MM', in `timezone`) is required. `subject` None or blank means a
    subject per copy, unless `subject_required` (the form's "same for everyone" choice).
    """
    now = now or utcnow()
    zone = service.check_timezone(timezone)
    if send_now:
        moment = now
    elif send_at in (None, ""):
        raise ValidationError("Choose a send time, or send now.", field="send_at")
    else:
        moment = service.parse_send_at(send_at, zone, now=now)  # type: ignore[arg-type]
    updates = service.validate_updates(session, update_ids)
    if subject_required:
        fixed: str | None = clean_text(subject, "subject", max_len=300)
    else:
        fixed = service.fixed_subject(subject)
    return EditionPlan(
        updates=updates, fixed_subject=fixed, example_subject=service.default_subject(updates),
        send_at=moment, zone=zone, send_now=send_now,
        recipients=service.estimate_recipients(session, [u.id for u in updates]),
    )


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
        edition = service.add_edition(session, plan.updates, plan.fixed_subject, plan.send_at,
                                      editor, plan.zone)
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
