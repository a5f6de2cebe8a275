"""Shared limits in Redis: SMTP_RATE across all workers, and the recent failure window."""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis


class RateLimiter:
    """At most `rate` messages per second across every worker sharing this Redis."""

    def __init__(
        self, redis: Redis, rate: float | None, key: str = "nl:smtp-rate",
        clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.redis = redis
        self.rate = rate
        self.key = key
        self.clock = clock
        self.sleep = sleep

    def wait(self) -> None:
        if not self.rate:
            return
        # Windows of 1 s (or longer for rates below 1/s) hold at most `rate * window` sends.
        window = max(1.0, 1.0 / self.rate)
        allowed = max(1, int(self.rate * window))
        while True:
            now = self.clock()
            slot = int(now // window)
            key = f"{self.key}:{slot}"
            pipe = self.redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, int(window) + 2)
            count = pipe.execute()[0]
            if count <= allowed:
                return
            self.sleep(max(0.001, (slot + 1) * window - now))


class FailureWindow:
    """The last N outcomes of an edition, so a bad list or a broken relay pauses it."""

    def __init__(self, redis: Redis, edition_id: int, size: int, ratio: float) -> None:
        self.redis = redis
        self.key = f"nl:edition:{edition_id}:outcomes"
        self.size = size
        self.ratio = ratio

    def record(self, outcomes: list[bool]) -> bool:
        """Add outcomes (True = failed); True when the recent failure rate is over the limit."""
        if not outcomes:
            return False
        pipe = self.redis.pipeline()
        pipe.lpush(self.key, *("1" if failed else "0" for failed in outcomes))
        pipe.ltrim(self.key, 0, self.size - 1)
        pipe.expire(self.key, 7 * 24 * 3600)
        pipe.lrange(self.key, 0, -1)
        recent = pipe.execute()[-1]
        if len(recent) < self.size:
            return False
        return sum(1 for v in recent if v == b"1") / len(recent) > self.ratio
