"""The recent failure window of an edition in Redis: a bad list or a broken relay pauses it."""

from __future__ import annotations

from redis import Redis

from .. import defaults, keys

# Add outcomes, keep the last `size`, and count them in Redis: one round trip, and a flush
# gets two numbers back instead of parsing the whole window (200 entries) every time.
_RECORD = """
for i = 3, #ARGV, 1000 do  -- unpack has a stack limit: a large flush goes in chunks
  redis.call('LPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
local recent = redis.call('LRANGE', KEYS[1], 0, -1)
local failed = 0
for _, v in ipairs(recent) do
  if v == '1' then failed = failed + 1 end
end
return {#recent, failed}
"""


class FailureWindow:
    """The last N outcomes of an edition, so a bad list or a broken relay pauses it."""

    def __init__(self, redis: Redis, edition_id: int, size: int, ratio: float) -> None:
        self.redis = redis
        self.key = keys.edition_outcomes(edition_id)
        self.size = size
        self.ratio = ratio
        self._record = redis.register_script(_RECORD)

    def record(self, outcomes: list[bool]) -> bool:
        """Add outcomes (True = failed); True when the recent failure rate is over the limit."""
        if not outcomes:
            return False
        length, failed = self._record(keys=[self.key], args=[
            self.size, defaults.EDITION_STATE_TTL, *("1" if f else "0" for f in outcomes)])
        if length < self.size:
            return False
        return failed / length > self.ratio
