"""Whether clicks and opens are tracked: the admin's choice stored in the database
(`list_setting`), else the environment's default (CLICK_TRACKING, OPEN_TRACKING).

The redirect is hot, so each process reads the stored choice at most every `TTL` seconds;
a change made in this process is seen at once, in the others within `TTL`.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..models import ListSetting, utcnow

CLICKS = "click_tracking"
OPENS = "open_tracking"
TTL = 10.0


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


def current(sessions: sessionmaker[Session], settings: Settings) -> Tracking:
    """The choice in force, cached per database (`sessions`: a sessionmaker) for `TTL`."""
    defaults = (settings.click_tracking, settings.open_tracking)
    hit = _cache.get(sessions)
    if hit is not None and hit[0] > time.monotonic() and hit[1] == defaults:
        return hit[2]
    with sessions() as session:
        tracking = load(session, settings)
    _cache[sessions] = (time.monotonic() + TTL, defaults, tracking)
    return tracking
