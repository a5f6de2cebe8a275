"""How long the outbox keeps finished calls: the admin page shows the recent ones, nobody
needs a year of them. Run by the tick."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..models import WebhookCall, WebhookCallStatus, WebhookEndpoint
from .dispatch import GIVE_UP_AFTER

FINISHED = (WebhookCallStatus.DELIVERED, WebhookCallStatus.FAILED)


def purge(session: Session, now: datetime, days: int) -> int:
    """Delete delivered and failed calls whose last try is more than `days` old (a call's
    next attempt time is its last lease or retry, always after it was created: the index
    on (status, next_attempt_at) finds them); calls of a disabled endpoint older than a
    day are given up first, so its outbox does not grow for ever. Returns how many went."""
    disabled = select(WebhookEndpoint.id).where(WebhookEndpoint.disabled_at.is_not(None))
    session.execute(update(WebhookCall).where(
        WebhookCall.status == WebhookCallStatus.PENDING,
        WebhookCall.endpoint_id.in_(disabled), WebhookCall.created_at < now - GIVE_UP_AFTER)
        .values(status=WebhookCallStatus.FAILED, last_error="endpoint disabled",
                next_attempt_at=now))  # kept for the retention from now on
    cutoff = now - timedelta(days=days)
    result = session.execute(delete(WebhookCall).where(
        WebhookCall.status.in_(FINISHED), WebhookCall.next_attempt_at < cutoff,
        WebhookCall.created_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
