"""Whether clicks and opens are tracked: the admin's choice stored in the database
(`list_setting`), else the environment's default (CLICK_TRACKING, OPEN_TRACKING).

The redirect is hot (a thousand a second after a big edition), so it reads no setting from
the database: each process keeps the stored choice, and once it is `REFRESH` seconds old
one request re-reads it while the others go on with the value they have. A change made in
this process is seen at once; in the others within `TTL` seconds: past `TTL` (a re-read
that failed or took seconds) requests wait for a fresh read rather than act on an older
value.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..models import ListSetting, utcnow

CLICKS = "click_tracking"
OPENS = "open_tracking"
TTL = 10.0  # the promise: another process's change is in force here within this
REFRESH = 8.0  # one request re-reads after this long; the others keep the value meanwhile


@dataclass(frozen=True)
class Tracking:
    clicks: bool
    opens: bool
    clicks_stored: bool = False  # chosen by an admin (else the environment's default)
    opens_stored: bool = False


def load(session: Session, settings: Settings) -> Tracking:
    stored = dict(session.execute(select(ListSetting.name, ListSetting.value)
                                  .where(ListSetting.name.in_((CLICKS, OPENS)))).all())
    return Tracking(
        clicks=stored[CLICKS] == "on" if CLICKS in stored else settings.click_tracking,
        opens=stored[OPENS] == "on" if OPENS in stored else settings.open_tracking,
        clicks_stored=CLICKS in stored, opens_stored=OPENS in stored)


def save(session: Session, clicks: bool, opens: bool) -> None:
    """Store the admin's choice (the caller commits), then forget this process's copy."""
    now = utcnow()
    for name, on in ((CLICKS, clicks), (OPENS, opens)):
        row = session.get(ListSetting, name)
        if row is None:
            session.add(ListSetting(name=name, value="on" if on else "off", updated_at=now))
        else:
            row.value, row.updated_at = ("on" if on else "off"), now
    session.flush()
    _cache.clear()


_cache: weakref.WeakKeyDictionary[object, tuple[float, tuple[bool, bool], Tracking]] = \
    weakref.WeakKeyDictionary()
_reading = threading.Lock()  # one re-read at a time per process


def current(sessions: sessionmaker[Session], settings: Settings) -> Tracking:
    """The choice in force, per database (`sessions`: a sessionmaker), at most `TTL` old."""
    defaults = (settings.click_tracking, settings.open_tracking)
    hit = _cache.get(sessions)
    if hit is not None and hit[1] == defaults:
        age = time.monotonic() - hit[0]
        if age < REFRESH:
            return hit[2]
        if age < TTL and not _reading.acquire(blocking=False):
            return hit[2]  # another request is re-reading it
        if age >= TTL:
            _reading.acquire()
    else:
        _reading.acquire()
    try:
        hit = _cache.get(sessions)  # re-read by the request that held the lock?
        if hit is not None and hit[1] == defaults and time.monotonic() - hit[0] < REFRESH:
            return hit[2]
        started = time.monotonic()  # the value is at least this fresh
        with sessions() as session:
            tracking = load(session, settings)
        _cache[sessions] = (started, defaults, tracking)
        return tracking
    finally:
        _reading.release()
