"""A site-wide content version, so rendered public pages can be reused until something they
show changes: any commit that wrote a topic, an update, a source, an editor or a picture
replaces the version (a random token in Redis); each web process keeps pages rendered for the
current one.

The process that commits sees its own change at once; other processes read the version from
Redis at most once a second (CHECK_EVERY), so their pages lag a write by a second at most,
well inside the minute that shared caches may keep a page anyway. If Redis is unreachable,
pages are simply rendered every time.
"""

from __future__ import annotations

import logging
import secrets
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..models import Editor, Picture, Topic, TopicUpdate, UpdateSource
from ..runtime import Runtime, current

log = logging.getLogger(__name__)
KEY = "newsletter:site:version"
WATCHED = (Topic, TopicUpdate, UpdateSource, Picture, Editor)
MAX_PAGES = 1000
CHECK_EVERY = 1.0  # seconds between version reads from Redis, per process


def _note_writes(session: Session, _context: Any, _instances: Any) -> None:
    if any(isinstance(o, WATCHED) for objs in (session.new, session.dirty, session.deleted)
           for o in objs):
        session.info["site_changed"] = True


def _after_commit(session: Session) -> None:
    if session.info.pop("site_changed", False):
        bump(current())


def _after_rollback(session: Session) -> None:
    session.info.pop("site_changed", None)


def listen() -> None:
    """Watch every ORM session in this process (web, worker, CLI); safe to call again."""
    if not event.contains(Session, "before_flush", _note_writes):
        event.listen(Session, "before_flush", _note_writes)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def bump(runtime: Runtime) -> None:
    token = secrets.token_hex(8)
    cache_for(runtime).reset(token)  # this process at once
    try:
        runtime.redis.set(KEY, token)
    except (RedisError, OSError) as exc:  # the write itself is done; pages may lag a little
        log.warning("could not mark the public site as changed: %s", exc)


def version(runtime: Runtime) -> str | None:
    try:
        value = runtime.redis.get(KEY)
        if value is None:
            token = secrets.token_hex(8)
            runtime.redis.set(KEY, token, nx=True)
            value = runtime.redis.get(KEY)
    except (RedisError, OSError):
        return None
    return value.decode() if isinstance(value, bytes) else value


class PageCache:
    """Rendered pages of one runtime (database + Redis) for the current content version."""

    def __init__(self) -> None:
        self._version: str | None = None
        self._checked = 0.0
        self._pages: dict[Hashable, Any] = {}

    def reset(self, token: str | None) -> None:
        self._version, self._pages = token, {}
        self._checked = time.monotonic() if token else 0.0

    def get(self, runtime: Runtime, key: Hashable, build: Callable[[], Any]) -> Any:
        if time.monotonic() - self._checked >= CHECK_EVERY:
            latest = version(runtime)
            if latest is None:
                self.reset(None)
                return build()
            if latest != self._version:
                self.reset(latest)
            self._checked = time.monotonic()
        if len(self._pages) > MAX_PAGES:
            self._pages = {}
        if key not in self._pages:
            self._pages[key] = build()
        return self._pages[key]


_caches: weakref.WeakKeyDictionary[Runtime, PageCache] = weakref.WeakKeyDictionary()


def cache_for(runtime: Runtime) -> PageCache:
    cache = _caches.get(runtime)
    if cache is None:
        cache = _caches[runtime] = PageCache()
    return cache
