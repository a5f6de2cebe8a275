"""SMTP_RATE holds across workers: they share one counter in Redis per time window.

Time is a fake clock that only moves when a limiter sleeps, so the test is exact and
never depends on how fast this machine is.
"""

from __future__ import annotations

from collections import Counter

import pytest

from newsletter.mail.rate import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize("rate, sends", [(5, 23), (0.5, 4)])
def test_workers_sharing_redis_never_exceed_the_rate_in_any_window(runtime, rate, sends):
    time = FakeTime()
    workers = [RateLimiter(runtime.redis, rate, clock=time.clock, sleep=time.sleep)
               for _ in range(3)]
    window = max(1.0, 1 / rate)
    granted = []
    for i in range(sends):
        workers[i % 3].wait()
        granted.append(int(time.now // window))

    per_window = Counter(granted)
    assert max(per_window.values()) <= max(1, int(rate * window))
    assert len(per_window) >= -(-sends // max(1, int(rate * window)))


def test_no_rate_means_no_waiting(runtime):
    time = FakeTime()
    limiter = RateLimiter(runtime.redis, None, clock=time.clock, sleep=time.sleep)
    for _ in range(1000):
        limiter.wait()
    assert time.now == 1_000_000.0
