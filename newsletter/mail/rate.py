"""SMTP_RATE across every worker and every kind of mail: one counter per time window in Redis."""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis

from .. import keys


class RateLimiter:
    """At most `rate` messages per second across every worker sharing this Redis."""

    def __init__(
        self, redis: Redis, rate: float | None, key: str = keys.SMTP_RATE,
        clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.redis = redis
        self.rate = rate
        self.key = key
        self.clock = clock
        self.sleep = sleep

    def wait(self, before_sleep: Callable[[], None] | None = None) -> None:
        """Return when a send fits in the budget; `before_sleep` runs once, before the first
        sleep (a batch writes its outcomes then rather than hold them through the wait)."""
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
            if before_sleep is not None:
                before_sleep()
                before_sleep = None
            self.sleep(max(0.001, (slot + 1) * window - now))
