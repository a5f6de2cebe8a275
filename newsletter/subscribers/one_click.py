"""RFC 8058 one-click unsubscribe in one round trip to PostgreSQL.

Mailbox providers POST the List-Unsubscribe URL for every reader who presses their
"Unsubscribe" button, in bursts after each edition. The general path (service.unsubscribe
through the ORM) costs seven round trips: the pool's pre-ping, BEGIN, the reader, the
edition check of `?e=`, the webhook endpoints, the UPDATE and the COMMIT. Here the token's
signature is checked in Python first (a forged or tampered token never reaches the
database) and one statement, sent in autocommit, does the rest atomically:

- reads the reader (the outer SELECT sees the row as it was: its token_version, so a
  revoked link is refused, and whether they had already left);
- unsubscribes them only if the link is of their current generation and they have not
  left yet (so a second POST writes nothing: idempotent), naming the edition of `?e=` only
  if they were sent a copy of it (the same check as ledger.copy_mask);
- writes the `subscriber.unsubscribed` webhook calls for the endpoints that chose the
  event, with the very body emit() would write, in the same statement as the change.

The body holds the address, which only the database knows here: it is spliced in with
PostgreSQL's to_json, which writes the same bytes as json.dumps for printable ASCII. For
any other address, when an endpoint wants the event, the statement changes nothing and
says so (FALLBACK): the caller then takes the general path, as it does on SQLite.
"""

from __future__ import annotations

import functools
from datetime import datetime
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, Integer, Select, String, bindparam, case, exists, func, select, true, update

from ..delivery import ledger
from ..models import Subscriber, SubscriberStatus, UTCDateTime, utcnow
from ..webhooks import events as webhooks
from .tokens import Claim

EVENT = "subscriber.unsubscribed"


class Outcome(StrEnum):
    UNSUBSCRIBED = "unsubscribed"  # left now (and the webhook calls are written)
    ALREADY = "already"  # had left before: nothing written
    NOT_FOUND = "not found"  # no such reader (erased)
    REVOKED = "revoked"  # a link of an older generation: refused
    FALLBACK = "fallback"  # not done here: take the general path (service.unsubscribe)


@functools.cache
def statement() -> Select[Any]:
    """Built once per process; its parameters are sid, version, edition, now, head, tail."""
    sid = bindparam("sid", type_=Integer)
    edition = bindparam("edition", type_=Integer)
    now = bindparam("now", type_=UTCDateTime())
    hooks = webhooks.chosen_endpoints(EVENT).cte("hooks")
    changed = (
        update(Subscriber)
        .where(Subscriber.id == sid, Subscriber.token_version == bindparam("version", type_=Integer),
               Subscriber.status != SubscriberStatus.UNSUBSCRIBED,
               webhooks.ascii_only(Subscriber.email) | ~exists(select(hooks.c.id)))
        .values(status=SubscriberStatus.UNSUBSCRIBED.value, unsubscribed_at=now,
                unsubscribed_edition_id=case((ledger.copy_of(edition, sid), edition), else_=None),
                next_briefing_at=None, updated_at=now)
        .returning(Subscriber.email)
        .cte("changed"))
    body = (bindparam("head", type_=String) + webhooks.ascii_json(changed.c.email)
            + bindparam("tail", type_=String))
    calls = webhooks.outbox_insert(
        EVENT, select(hooks.c.id.label("endpoint_id"), body.label("body"))
        .select_from(hooks.join(changed, true())), now).returning(true()).cte("written")
    return select(
        Subscriber.token_version, Subscriber.status,
        select(func.count()).select_from(changed).scalar_subquery().label("changed"),
        select(func.count()).select_from(calls).scalar_subquery().label("calls"),
    ).where(Subscriber.id == sid)


def unsubscribe(engine: Engine, claim: Claim, edition_id: int | None,
                now: datetime | None = None) -> Outcome:
    """Unsubscribe the reader a verified unsubscribe token names, in one statement.

    `edition_id`: the edition the link names (`?e=`), unchecked; it is recorded only if the
    reader was sent a copy of it. FALLBACK on a database other than PostgreSQL.
    """
    if engine.dialect.name != "postgresql":
        return Outcome.FALLBACK
    now = now or utcnow()
    reader = SimpleNamespace(id=claim.subscriber_id, email="")  # the address: the database's
    head, tail = webhooks.body_around(EVENT, now, webhooks.subscriber_data(reader), "email")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        row = conn.execute(statement(), {
            "sid": claim.subscriber_id, "version": claim.version, "edition": edition_id,
            "now": now, "head": head, "tail": tail}).one_or_none()
    if row is None:
        return Outcome.NOT_FOUND
    if row.token_version != claim.version:
        return Outcome.REVOKED
    if row.changed:
        return Outcome.UNSUBSCRIBED
    if row.status == SubscriberStatus.UNSUBSCRIBED:
        return Outcome.ALREADY
    # neither changed nor unsubscribed before: an address the statement cannot write into
    # a webhook body byte for byte, or another request unsubscribed them meanwhile
    return Outcome.FALLBACK

