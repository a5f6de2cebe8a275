"""Making the calls: lease due rows, POST them signed, record what the endpoint answered.

At-least-once: a row is leased (its next attempt moved past the call's timeout) and
committed before the call, and only marked delivered after a 2xx. A worker killed in
between leaves the row to come due again when the lease runs out; receivers tell repeats
apart by the `X-Newsletter-Call` header. Failed calls are retried with growing delays until
`GIVE_UP_AFTER` has passed since the event, then marked failed. An endpoint whose every
call has failed for `DISABLE_AFTER` is disabled: its calls wait, unsent, until an admin
enables it again (`endpoints.enable`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ..feeds.ssrf import GuardedTransport, UnsafeURL
from ..models import WebhookCall, WebhookCallStatus, WebhookEndpoint, utcnow
from . import signing

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
LEASE = timedelta(seconds=60)  # longer than one call can take with its timeouts
RETRY_DELAYS = (30, 60, 300, 900, 1800, 3600, 7200, 14400)  # seconds; the last repeats
GIVE_UP_AFTER = timedelta(days=1)
DISABLE_AFTER = timedelta(days=1)  # of failures with no call answered in between
BATCH = 50
USER_AGENT = "newsletter-webhooks/1"


@dataclass(frozen=True)
class Leased:
    call_id: int
    endpoint_id: int
    url: str
    secret: str
    body: str
    attempts: int
    created_at: datetime


@dataclass
class DispatchResult:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed try."""
    return timedelta(seconds=RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1])


def make_client(allow_private: bool) -> httpx.Client:
    """No redirects, no proxies from the environment: the guard sees every connection."""
    return httpx.Client(
        transport=GuardedTransport(allow_private),
        timeout=httpx.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=READ_TIMEOUT,
                              pool=CONNECT_TIMEOUT),
        follow_redirects=False, trust_env=False, headers={"User-Agent": USER_AGENT},
    )


def has_due(session: Session, now: datetime) -> bool:
    return session.scalar(select(WebhookCall.id).join(
        WebhookEndpoint, WebhookEndpoint.id == WebhookCall.endpoint_id).where(
        WebhookCall.status == WebhookCallStatus.PENDING, WebhookEndpoint.disabled_at.is_(None),
        WebhookCall.next_attempt_at <= now).limit(1)) is not None


def lease(session: Session, now: datetime, limit: int = BATCH) -> list[Leased]:
    """Take up to `limit` due calls for this worker (others skip them); the caller commits."""
    rows = session.execute(
        select(WebhookCall, WebhookEndpoint.url, WebhookEndpoint.secret)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookCall.endpoint_id)
        .where(WebhookCall.status == WebhookCallStatus.PENDING,
               WebhookEndpoint.disabled_at.is_(None),
               WebhookCall.next_attempt_at <= now)
        .order_by(WebhookCall.next_attempt_at, WebhookCall.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookCall)
    ).all()
    leased = []
    for call, url, secret in rows:
        call.attempts += 1
        call.last_attempt_at = now
        call.next_attempt_at = now + LEASE
        leased.append(Leased(call.id, call.endpoint_id, url, secret, call.body, call.attempts,
                             call.created_at))
    session.flush()
    return leased


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    response: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def call(client: httpx.Client, leased: Leased, clock: Callable[[], float] = time.time) -> Outcome:
    """One signed POST; every failure (refused address, timeout, non-2xx) is an Outcome."""
    data = leased.body.encode("utf-8")
    timestamp = int(clock())
    headers = {
        "Content-Type": "application/json",
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature(leased.secret, timestamp, data),
        signing.CALL_ID_HEADER: str(leased.call_id),
    }
    try:
        response = client.post(leased.url, content=data, headers=headers)
    except UnsafeURL as exc:
        return Outcome(None, "", f"refused: {exc}"[:500])
    except httpx.TimeoutException:
        return Outcome(None, "", "timed out")
    except httpx.HTTPError as exc:
        return Outcome(None, "", f"{type(exc).__name__}: {exc}"[:500])
    text = response.text[:500] if response.content else ""
    error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return Outcome(response.status_code, text, error)


def record(session: Session, leased: Leased, outcome: Outcome, now: datetime) -> str:
    """Store the answer; returns the call's new status."""
    values: dict[str, object] = {"last_status_code": outcome.status_code,
                                 "last_response": outcome.response, "last_error": outcome.error}
    if outcome.ok:
        status = WebhookCallStatus.DELIVERED
        values["delivered_at"] = now
    else:
        retry_at = now + retry_delay(leased.attempts)
        status = (WebhookCallStatus.FAILED if retry_at - leased.created_at > GIVE_UP_AFTER
                  else WebhookCallStatus.PENDING)
        values["next_attempt_at"] = retry_at
    session.execute(update(WebhookCall).where(WebhookCall.id == leased.call_id)
                    .values(status=status, **values))
    _note_endpoint(session, leased.endpoint_id, outcome, now)
    return status


def _note_endpoint(session: Session, endpoint_id: int, outcome: Outcome, now: datetime) -> None:
    """An answered call clears the endpoint's failing streak; a failed one starts it or,
    after `DISABLE_AFTER` of nothing else, disables the endpoint with the reason."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:  # removed meanwhile
        return
    if outcome.ok:
        endpoint.failing_since = None
        return
    since = endpoint.failing_since = endpoint.failing_since or now
    if endpoint.disabled_at is None and now - since >= DISABLE_AFTER:
        endpoint.disabled_at = now
        endpoint.disabled_reason = (
            f"Disabled: every call failed from {since:%Y-%m-%d %H:%M} UTC to "
            f"{now:%Y-%m-%d %H:%M} UTC (last: {outcome.error or 'no answer'}).")[:500]


def deliver_due(factory: sessionmaker[Session], *, allow_private: bool,
                now: Callable[[], datetime] = utcnow, client: httpx.Client | None = None,
                limit: int = BATCH) -> DispatchResult:
    """Lease a batch, call each endpoint, record each answer in its own transaction."""
    result = DispatchResult()
    with factory() as session:
        batch = lease(session, now(), limit)
        session.commit()
    if not batch:
        return result
    own = client is None
    client = client or make_client(allow_private)
    try:
        for leased in batch:
            outcome = call(client, leased)
            with factory() as session:
                status = record(session, leased, outcome, now())
                session.commit()
            if status == WebhookCallStatus.DELIVERED:
                result.delivered += 1
            elif status == WebhookCallStatus.FAILED:
                result.failed += 1
            else:
                result.retrying += 1
    finally:
        if own:
            client.close()
    return result
