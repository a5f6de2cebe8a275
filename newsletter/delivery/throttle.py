"""The recent failure window of an edition in Redis: a bad list or a broken relay pauses it."""

from __future__ import annotations

from redis import Redis

from .. import defaults, keys


class FailureWindow:
    """The last N outcomes of an edition, so a bad list or a broken relay pauses it."""

    def __init__(self, redis: Redis, edition_id: int, size: int, ratio: float) -> None:
        self.redis = redis
        self.key = keys.edition_outcomes(edition_id)
        self.size = size
        self.ratio = ratio

    def record(self, outcomes: list[bool]) -> bool:
        """Add outcomes (True = failed); True when the recent failure rate is over the limit."""
        if not outcomes:
            return False
        pipe = self.redis.pipeline()
        pipe.lpush(self.key, *("1" if failed else "0" for failed in outcomes))
        pipe.ltrim(self.key, 0, self.size - 1)
        pipe.expire(self.key, defaults.EDITION_STATE_TTL)
        pipe.lrange(self.key, 0, -1)
        recent = pipe.execute()[-1]
        if len(recent) < self.size:
            return False
        return sum(1 for v in recent if v == b"1") / len(recent) > self.ratio
