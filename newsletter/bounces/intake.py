"""Take in one returned message: classify, tie it to a copy we sent, keep it, act on it.

Every way in (the MTA pipe, the API, the mailbox poller) calls `receive`; provider webhooks
call `record` with what the provider already classified. The caller commits: either the
record and the reader's new status are both written, or neither.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..config import Settings
from ..delivery import ledger
from ..models import BounceKind, BounceRecord, Subscriber, utcnow
from .classify import Classification, Recipient, classify
from .message import MAX_BYTES
from .policy import BouncePolicy, apply
from .providers import ProviderEvent
from .verp import Verp

# RFC 5965 / 6591 reports that are about the message, not a reader asking to stop
NOT_FROM_THE_READER = frozenset({"auth-failure", "not-spam", "virus"})


@dataclass
class Received:
    classification: Classification
    duplicate: bool = False
    matched_by: str = ""
    subscriber_id: int | None = None
    edition_id: int | None = None
    outcome: str = "none"
    records: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {**self.classification.as_dict(), "matched": bool(self.matched_by),
                "matched_by": self.matched_by or None, "duplicate": self.duplicate,
                "outcome": self.outcome}


def digest_of(raw: bytes, classification: Classification) -> str:
    """Same returned message, same digest: its Message-ID when it has one, else its bytes."""
    if classification.message_id:
        basis = b"message-id:" + classification.message_id.encode("utf-8", "replace")
    else:
        basis = b"content:" + raw[:MAX_BYTES]
    return hashlib.sha256(basis).hexdigest()


def receive(session: Session, raw: bytes, *, source: str, policy: BouncePolicy,
            verp: Verp | None, now: datetime | None = None) -> Received:
    classification = classify(raw)
    match = _match(session, raw, classification, verp)
    return record(session, classification, digest_of(raw, classification), source=source,
                  policy=policy, match=match, now=now)


@dataclass(frozen=True)
class Match:
    subscriber_id: int
    edition_id: int | None
    matched_by: str


def _match(session: Session, raw: bytes, classification: Classification,
           verp: Verp | None) -> Match | None:
    """Which copy of ours came back: a validly signed VERP tag, else our Message-ID."""
    if verp is not None:
        text = " ".join(classification.envelope_to) + "\n" + raw[:MAX_BYTES].decode("latin-1")
        copy = verp.read(text)
        if copy is not None and session.get(Subscriber, copy.subscriber_id) is not None:
            edition_id = copy.edition_id
            if edition_id is not None and not ledger.has_copy(session, edition_id,
                                                              copy.subscriber_id):
                edition_id = None
            return Match(copy.subscriber_id, edition_id, "verp")
    if classification.message_ids:
        row = ledger.copy_by_message_id(session, classification.message_ids[:20])
        # a Message-ID can be guessed: it must also name the address that copy went to
        addresses = {r.address.lower() for r in classification.recipients}
        if row is not None and row.email.lower() in addresses:
            return Match(row.subscriber_id, row.edition_id, "message-id")
    return None


def record(session: Session, classification: Classification, digest: str, *, source: str,
           policy: BouncePolicy, match: Match | None, now: datetime | None = None) -> Received:
    """Keep the records (once per message and address) and apply the policy to a match."""
    now = now or utcnow()
    result = Received(classification)
    if session.scalar(select(BounceRecord.id).where(BounceRecord.digest == digest).limit(1)):
        result.duplicate = True
        return result
    subscriber = session.get(Subscriber, match.subscriber_id) if match else None
    ours = _recipient_for(classification, subscriber.email) if subscriber else None
    rows = []
    for recipient in classification.recipients or [Recipient("", "", False, "")]:
        tied = subscriber is not None and recipient is ours
        rows.append(BounceRecord(
            digest=digest, received_at=now, source=source, kind=classification.kind,
            address=recipient.address[:254], status=recipient.status[:16],
            reason=recipient.reason[:32], hard=recipient.hard, diagnostic=recipient.diagnostic[:2000],
            subscriber_id=subscriber.id if tied else None,
            edition_id=match.edition_id if tied and match else None,
            matched_by=match.matched_by if tied and match else "",
            subject=classification.subject[:300],
        ))
    if subscriber is not None and ours is not None and ours not in classification.recipients:
        rows.append(BounceRecord(
            digest=digest, received_at=now, source=source, kind=classification.kind,
            address=subscriber.email[:254], status=ours.status, reason=ours.reason, hard=ours.hard,
            diagnostic="", subscriber_id=subscriber.id, edition_id=match.edition_id if match else None,
            matched_by=match.matched_by if match else "", subject=classification.subject[:300]))
    try:
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
    except IntegrityError:  # the same message arrived twice at once: the other one counts
        result.duplicate = True
        return result
    result.records = [r.id for r in rows]
    if subscriber is not None and match is not None and ours is not None:
        tied_row = next(r for r in rows if r.subscriber_id == subscriber.id)
        result.matched_by = match.matched_by
        result.subscriber_id = subscriber.id
        result.edition_id = match.edition_id
        if classification.feedback_type in NOT_FROM_THE_READER:
            result.outcome = "none"  # a DMARC failure or virus report: kept, nobody complained
        else:
            result.outcome = apply(session, subscriber, tied_row, policy, now)
        tied_row.outcome = result.outcome
    return result


def _recipient_for(classification: Classification, email: str) -> Recipient | None:
    """The recipient entry about our reader: the same address, else the only one given.

    With a VERP match the message is about our copy even when the remote side names the
    address after forwarding; a complaint without an address is about our reader too.
    """
    if classification.kind == BounceKind.OTHER:
        return None
    for recipient in classification.recipients:
        if recipient.address.lower() == email.lower():
            return recipient
    if len(classification.recipients) == 1:
        return classification.recipients[0]
    if not classification.recipients and classification.kind == BounceKind.COMPLAINT:
        return Recipient(email, "", False, "feedback")
    return None



def take_in(session: Session, settings: Settings, raw: bytes, source: str,
            now: datetime | None = None) -> Received:
    """`receive` with the running configuration (VERP on when ENVELOPE_FROM is set)."""
    verp = Verp(settings.envelope_from, settings.secret_key) if settings.envelope_from else None
    return receive(session, raw, source=source, policy=BouncePolicy.from_settings(settings),
                   verp=verp, now=now)


def take_in_event(session: Session, settings: Settings, event: ProviderEvent, source: str,
                  now: datetime | None = None) -> Received:
    """A provider's already-classified event, authenticated by the caller.

    It is tied to our copy by its envelope sender's VERP tag or our Message-ID when the
    provider passes them on; else, since the provider only reports on mail sent through our
    account, by the latest copy we sent to that address.
    """
    verp = Verp(settings.envelope_from, settings.secret_key) if settings.envelope_from else None
    classification = event.classification
    match = _match(session, b"", classification, verp) or _latest_copy(session, classification)
    digest = hashlib.sha256(event.event_id.encode("utf-8", "replace")).hexdigest()
    return record(session, classification, digest, source=source,
                  policy=BouncePolicy.from_settings(settings), match=match, now=now)


def _latest_copy(session: Session, classification: Classification) -> Match | None:
    if len(classification.recipients) != 1:
        return None
    address = classification.recipients[0].address
    row = ledger.latest_copy_to(session, address.strip().lower()[:254])
    return Match(row.subscriber_id, row.edition_id, "provider") if row else None
