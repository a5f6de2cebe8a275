"""Which processes are alive: a name per process and a Redis heartbeat kept by a thread.

Work claimed by a process (sign-up stream entries, outgoing mail rows) is taken over by
another one as soon as the claimer's heartbeat key expires, i.e. a few seconds after it was
killed, however long its SMTP server takes to answer while it lives. A slow but live
process keeps its claims, so nothing it is still sending is sent a second time.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
import weakref

from redis import Redis

from . import keys

HEARTBEAT_SECONDS = 2
TTL_SECONDS = 10
_lock = threading.Lock()
_me: dict[int, str] = {}  # pid -> name (a forked child is someone else)
_beating: weakref.WeakValueDictionary[int, Redis] = weakref.WeakValueDictionary()


def my_name(redis: Redis) -> str:
    """This process's name; from the first call on, a thread keeps it alive in `redis`."""
    with _lock:
        pid = os.getpid()
        if pid not in _me:
            _me.clear()
            _beating.clear()
            _me[pid] = f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:8]}"
            threading.Thread(target=_beat, daemon=True, name="heartbeat").start()
        name = _me[pid]
        if id(redis.connection_pool) not in _beating:
            redis.set(keys.alive(name), "1", ex=TTL_SECONDS)
            _beating[id(redis.connection_pool)] = redis
        return name


def _beat() -> None:
    pid = os.getpid()
    while name := _me.get(pid):
        time.sleep(HEARTBEAT_SECONDS)
        try:
            clients = list(_beating.values())
        except RuntimeError:  # changed while copied: the next beat gets it
            continue
        for redis in clients:
            try:
                redis.set(keys.alive(name), "1", ex=TTL_SECONDS)
            except Exception:  # noqa: BLE001, S112 - Redis away for a moment: next beat
                continue


def alive(redis: Redis, names: list[str]) -> set[str]:
    """Those of `names` whose process still beats."""
    if not names:
        return set()
    pipe = redis.pipeline(transaction=False)
    for name in names:
        pipe.exists(keys.alive(name))
    return {name for name, hit in zip(names, pipe.execute(), strict=True) if hit}
