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
    """The last N outcomes of an edition, so a bad list or a broken relay pauses it.

    Successes only lower the failure rate, so they wait in the process, up to `hold` of
    them, and go to Redis with the next failure, once `hold` have gathered, or at `release`
    (the batch's end): a healthy batch writes its window every `hold` copies instead of at
    every outcome flush (every 20 copies; the Redis call was a third of a flush's time,
    bench/flush.py). Failures are never held, so the pause comes as soon as it did."""

    def __init__(self, redis: Redis, edition_id: int, size: int, ratio: float,
                 hold: int = 0) -> None:
        self.redis = redis
        self.key = keys.edition_outcomes(edition_id)
        self.size = size
        self.ratio = ratio
        self.hold = hold
        self.held = 0  # successes not yet in Redis
        self._record = redis.register_script(_RECORD)

    def record(self, outcomes: list[bool]) -> bool:
        """Add outcomes (True = failed); True when the recent failure rate is over the limit."""
        if not outcomes:
            return False
        if not any(outcomes) and self.held + len(outcomes) < self.hold:
            self.held += len(outcomes)
            return False
        return self._write(["0"] * self.held + ["1" if f else "0" for f in outcomes])

    def release(self) -> None:
        """Write the successes still held (the batch is over)."""
        if self.held:
            self._write(["0"] * self.held)

    def _write(self, flags: list[str]) -> bool:
        self.held = 0
        length, failed = self._record(keys=[self.key], args=[
            self.size, defaults.EDITION_STATE_TTL, *flags])
        if length < self.size:
            return False
        return failed / length > self.ratio
