"""Sign-up requests wait in a Redis stream until a job records them, a batch at a time.

The web appends one entry per accepted form (XADD): the same cheap work whatever the
address's history, so neither the answer nor its timing tells whether someone is known.
Jobs read the stream through one consumer group. An entry is acknowledged (and deleted)
only after the database transaction that recorded it committed, so a worker killed
mid-batch leaves its entries pending under its name; the next job takes them over as soon
as that name's heartbeat is gone (`newsletter.claims`). Recording the same entry twice is a
no-op: the confirmation it called for carries its entry id (unique), and the sign-up itself
is idempotent (same topics, and the resend throttle).
"""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from redis.exceptions import ResponseError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .. import claims, keys
from ..models import OutgoingMail, utcnow
from .signups import MailToSend, Request, subscribe_many

GROUP = "recorders"


def stream_key(queue_name: str) -> str:
    return keys.signup_stream(queue_name)


@dataclass(frozen=True)
class Entry:
    id: str
    request: Request | None  # None: unreadable (never written by this code)


def fields(address: str, slugs: list[str], timezone: str | None = None) -> dict[str, str]:
    """A sign-up as a stream entry's fields; `timezone` is the reader's IANA zone as the web
    checked it, left out when unknown."""
    entry = {"a": address, "t": "\n".join(slugs)}
    if timezone:
        entry["z"] = timezone
    return entry


def _entry(entry_id: bytes, fields: dict[bytes, bytes] | None) -> Entry:
    try:
        zone = fields.get(b"z")  # type: ignore[union-attr]  # absent in older entries
        request = Request(fields[b"a"].decode(), tuple(fields[b"t"].decode().split("\n")),  # type: ignore[index]
                          zone.decode() if zone else None)
    except (TypeError, KeyError, UnicodeDecodeError, AttributeError):
        request = None
    return Entry(entry_id.decode(), request)


class Stream:
    """The sign-up stream as seen by one consumer (this process)."""

    def __init__(self, redis: Redis, key: str) -> None:
        self.redis, self.key = redis, key
        self.me = claims.my_name(redis)

    def ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(self.key, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def take_over_dead(self) -> int:
        """Entries read by a process that has since died become this process's."""
        taken = 0
        summary = self.redis.xpending(self.key, GROUP)
        names = [c["name"].decode() if isinstance(c["name"], bytes) else c["name"]
                 for c in summary.get("consumers") or []]
        others = [n for n in names if n != self.me]
        for name in set(others) - claims.alive(self.redis, others):
            while True:
                pending = self.redis.xpending_range(self.key, GROUP, "-", "+", 1000,
                                                    consumername=name)
                if not pending:
                    break
                ids = [p["message_id"] for p in pending]
                self.redis.xclaim(self.key, GROUP, self.me, 0, ids, justid=True)
                taken += len(ids)
            self.redis.xgroup_delconsumer(self.key, GROUP, name)
        return taken

    def next_batch(self, count: int) -> list[Entry]:
        """This process's own unacknowledged entries first (a job that failed), then new ones."""
        for start in ("0", ">"):
            reply = self.redis.xreadgroup(GROUP, self.me, {self.key: start}, count=count)
            entries = [_entry(i, f) for _, items in reply or [] for i, f in items]
            if entries:
                return entries
        return []

    def done(self, ids: list[str]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.xack(self.key, GROUP, *ids)
        pipe.xdel(self.key, *ids)
        pipe.execute()

    def backlog(self) -> int:
        """Entries not yet recorded (read or not): processed ones are deleted."""
        return int(self.redis.xlen(self.key))


def record(session: Session, entries: list[Entry]) -> int:
    """Record a batch of sign-ups and the emails they call for; returns how many emails."""
    ids = [e.id for e in entries]
    seen = set(session.scalars(select(OutgoingMail.request_id)
                               .where(OutgoingMail.request_id.in_(ids))))
    todo = [e for e in entries if e.request is not None and e.id not in seen]
    results = subscribe_many(session, [e.request for e in todo if e.request])
    now = utcnow()
    rows = [{"subscriber_id": r.subscriber.id, "kind": r.mail.value, "request_id": e.id,
             "created_at": now}
            for e, r in zip(todo, results, strict=True)
            if r is not None and r.subscriber is not None and r.mail is not MailToSend.NONE]
    if rows:
        session.execute(insert(OutgoingMail), rows)
    return len(rows)
