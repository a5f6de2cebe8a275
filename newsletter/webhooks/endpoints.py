"""Registering, listing and removing webhook endpoints (form, API and tests share these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..errors import ValidationError
from ..feeds.ssrf import UnsafeURL, check_url
from ..lookup import get_or_404
from ..models import WebhookCall, WebhookCallStatus, WebhookEndpoint, utcnow
from ..urls import normalize_url
from .events import EVENTS

MIN_SECRET = 16
MAX_SECRET = 200


def clean_url(value: object, allow_private: bool) -> str:
    """An absolute http(s) URL whose host resolves to public addresses only (the feeds'
    SSRF guard: the worker checks again on every connection, so DNS rebinding fails too)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("url is required.", field="url")
    clean = normalize_url(value.strip()) if len(value) <= 2000 else None
    if clean is None:
        raise ValidationError("url must be an absolute http(s) URL.", field="url")
    try:
        check_url(clean, allow_private)
    except UnsafeURL as exc:
        raise ValidationError(str(exc), field="url") from exc
    return clean


def clean_events(value: object) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ValidationError(f"events must be a list of: {', '.join(EVENTS)}.", field="events")
    unknown = [e for e in value if not isinstance(e, str) or e not in EVENTS]
    if unknown:
        raise ValidationError(
            f"Unknown event {unknown[0]!r}; choose from {', '.join(EVENTS)}.", field="events")
    return [e for e in EVENTS if e in value]


def clean_secret(value: object) -> str:
    if not isinstance(value, str) or not (MIN_SECRET <= len(value) <= MAX_SECRET) \
            or not value.isprintable():
        raise ValidationError(
            f"secret must be {MIN_SECRET} to {MAX_SECRET} printable characters.", field="secret")
    return value


def register(session: Session, url: object, events: object, secret: object, *,
             allow_private: bool = False) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(url=clean_url(url, allow_private),
                               events=" ".join(clean_events(events)),
                               secret=clean_secret(secret))
    session.add(endpoint)
    session.flush()
    return endpoint


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    return get_or_404(session, WebhookEndpoint, endpoint_id, f"No webhook {endpoint_id}.")


def remove(session: Session, endpoint_id: int) -> None:
    """The endpoint and its calls, pending ones included (nobody is listening any more)."""
    get_endpoint(session, endpoint_id)
    session.execute(delete(WebhookCall).where(WebhookCall.endpoint_id == endpoint_id))
    session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))


def enable(session: Session, endpoint_id: int, now: datetime | None = None) -> WebhookEndpoint:
    """Undo an automatic disable: the waiting calls are due at once (the caller commits)."""
    endpoint = get_endpoint(session, endpoint_id)
    now = now or utcnow()
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.failing_since = None
    session.execute(update(WebhookCall).where(
        WebhookCall.endpoint_id == endpoint_id, WebhookCall.status == WebhookCallStatus.PENDING)
        .values(next_attempt_at=now))
    return endpoint


@dataclass
class EndpointView:
    endpoint: WebhookEndpoint
    recent: list[WebhookCall] = field(default_factory=list)


def overview(session: Session, recent: int = 5) -> list[EndpointView]:
    """Each endpoint with its latest calls and their last responses, for the admin page."""
    views = []
    for endpoint in session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)):
        calls = session.scalars(
            select(WebhookCall).where(WebhookCall.endpoint_id == endpoint.id)
            .order_by(WebhookCall.created_at.desc(), WebhookCall.id.desc()).limit(recent))
        views.append(EndpointView(endpoint, list(calls)))
    return views
