"""The events we report, and the outbox write that goes with each state change.

`emit` runs inside the transaction of the change itself (no commit here): the change and
its webhook calls are stored together or not at all, so a crash cannot lose an event.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import WebhookCall, WebhookEndpoint, utcnow

EVENTS = (
    "subscriber.confirmed",
    "subscriber.unsubscribed",
    "subscriber.bounced",
    "subscriber.complained",
    "subscriber.erased",
    "edition.sent",
    "edition.paused",
)


def body(event: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The JSON body every endpoint gets: `{"event", "occurred_at", "data"}`."""
    stamp = occurred_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    return json.dumps({"event": event, "occurred_at": stamp, "data": data},
                      separators=(",", ":"), sort_keys=True)


def emit(session: Session, event: str, data: dict[str, Any], now: datetime | None = None) -> int:
    """Queue one call per endpoint that chose this event; returns how many."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    now = now or utcnow()
    endpoints = session.execute(select(WebhookEndpoint.id, WebhookEndpoint.events)).all()
    chosen = [endpoint_id for endpoint_id, events in endpoints if event in events.split()]
    if not chosen:
        return 0
    text = body(event, now, data)
    session.add_all(WebhookCall(endpoint_id=endpoint_id, event=event, body=text,
                                created_at=now, next_attempt_at=now) for endpoint_id in chosen)
    session.flush()
    return len(chosen)


def subscriber_data(subscriber: Any) -> dict[str, Any]:
    """What an endpoint learns about a reader: enough to find them in its own records."""
    return {"subscriber_id": subscriber.id, "email": subscriber.email}
