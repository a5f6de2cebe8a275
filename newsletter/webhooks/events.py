"""The events we report, and the outbox write that goes with each state change.

`emit` runs inside the transaction of the change itself (no commit here): the change and
its webhook calls are stored together or not at all, so a crash cannot lose an event.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Insert, Select, Text, any_, func, insert, literal, select
from sqlalchemy.orm import Session

from ..models import WebhookCall, WebhookCallStatus, WebhookEndpoint, utcnow

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


def body_around(event: str, occurred_at: datetime, data: dict[str, Any], field: str
                ) -> tuple[str, str]:
    """The body of an event whose `data[field]` (a string) only the database knows, as the
    text before and after that value's JSON: `head + json.dumps(value) + tail` is exactly
    `body(event, occurred_at, {**data, field: value})`."""
    hole = "\x00hole\x00"
    head, tail = body(event, occurred_at, {**data, field: hole}).split(json.dumps(hole))
    return head, tail


def chosen_endpoints(event: str) -> Select[tuple[int]]:
    """The endpoints that chose `event` (PostgreSQL: what emit() selects in Python)."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    return select(WebhookEndpoint.id).where(
        literal(event) == any_(func.regexp_split_to_array(WebhookEndpoint.events, r"\s+")))


def ascii_json(value: ColumnElement[str]) -> ColumnElement[str]:
    """A string's JSON as PostgreSQL writes it: the very bytes of json.dumps(value) when the
    value is printable ASCII (check that with ascii_only), which is all this is used for."""
    return func.to_json(value).cast(Text)


def ascii_only(value: ColumnElement[str]) -> ColumnElement[bool]:
    """Printable ASCII only: where PostgreSQL's to_json and Python's json.dumps agree."""
    return value.regexp_match("^[ -~]*$")


def outbox_insert(event: str, calls: Select[Any], now: Any) -> Insert:
    """The outbox rows emit() adds, as one INSERT … SELECT: `calls` selects one row per
    call, labelled `endpoint_id` and `body`."""
    rows = calls.subquery("calls")
    return insert(WebhookCall).from_select(
        ["endpoint_id", "event", "body", "created_at", "next_attempt_at", "status", "attempts",
         "last_error", "last_response"],
        select(rows.c.endpoint_id, literal(event), rows.c.body, now, now,
               literal(WebhookCallStatus.PENDING.value), literal(0), literal(""), literal("")))


def subscriber_data(subscriber: Any) -> dict[str, Any]:
    """What an endpoint learns about a reader: enough to find them in its own records."""
    return {"subscriber_id": subscriber.id, "email": subscriber.email}
