"""Addresses we must not mail (erased, complained), kept as a keyed hash.

A plain sha256 of an address can be reversed by hashing a list of candidate addresses, so
the entry is an HMAC with a key derived from SECRET_KEY: without the server's secret the
table says nothing. (Changing SECRET_KEY therefore also forgets every suppression, like it
breaks every link already sent.)

Entries written before the HMAC were plain sha256 and cannot be converted without the
address, which erasure threw away. So lookups accept both forms and rewrite a plain entry
to the keyed form the first time its address is seen again (sign-up, import, suppress).

The key travels with the session (`session.info`), set by Runtime, so callers keep passing
a session and an address.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Suppression
from .addresses import email_key

INFO_KEY = "suppression_key"
ERASED = "erased"


def derive_key(secret_key: str) -> bytes:
    """A key used only for suppression hashes (never the raw SECRET_KEY)."""
    return hmac.new(secret_key.encode(), b"newsletter.suppression.v1", hashlib.sha256).digest()


def session_key(session: Session) -> bytes:
    key = session.info.get(INFO_KEY)
    if not key:
        raise RuntimeError("This session has no suppression key: make it with Runtime.Session.")
    return key


def keyed_hash(key: bytes, address: str) -> str:
    return hmac.new(key, email_key(address).encode(), hashlib.sha256).hexdigest()


def legacy_hash(address: str) -> str:
    """The pre-HMAC form, still recognised (and upgraded) when the address comes back."""
    return hashlib.sha256(email_key(address).encode()).hexdigest()


def find(session: Session, address: str) -> Suppression | None:
    """The entry for this address, upgraded to the keyed form if it was a legacy one."""
    keyed = keyed_hash(session_key(session), address)
    rows = session.scalars(select(Suppression).where(
        Suppression.email_hash.in_([keyed, legacy_hash(address)]))).all()
    current = next((r for r in rows if r.email_hash == keyed), None)
    for row in rows:
        if row is current:
            continue
        if current is None:
            row.email_hash = keyed
            current = row
        else:  # both forms present: keep the keyed one
            session.delete(row)
    session.flush()
    return current


def suppressed_among(session: Session, addresses: Iterable[str], chunk: int = 1000) -> set[str]:
    """Which of these (normalized) addresses are suppressed, in a few queries (imports)."""
    key = session_key(session)
    wanted = list(dict.fromkeys(addresses))
    found: set[str] = set()
    for start in range(0, len(wanted), chunk):
        part = wanted[start:start + chunk]
        by_hash = {keyed_hash(key, a): a for a in part} | {legacy_hash(a): a for a in part}
        hits = session.scalars(select(Suppression).where(
            Suppression.email_hash.in_(list(by_hash))))
        for row in hits:
            found.add(by_hash[row.email_hash])
    for address in found:  # rare: upgrade any legacy entries these addresses hit
        find(session, address)
    return found


def suppress(session: Session, address: str, reason: str) -> Suppression:
    row = find(session, address)
    if row is None:
        row = Suppression(email_hash=keyed_hash(session_key(session), address), reason=reason)
        session.add(row)
        session.flush()
    return row


def lift_erasure(session: Session, address: str) -> bool:
    """A person who erased their data and confirmed a new sign-up gave consent again."""
    row = find(session, address)
    if row is None or row.reason != ERASED:
        return False
    session.delete(row)
    session.flush()
    return True
