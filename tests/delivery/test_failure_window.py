"""An edition's failure window in Redis: the last N outcomes across every worker, and
whether more than the allowed share of them failed (what auto-pauses an edition)."""

from __future__ import annotations

from newsletter.delivery.throttle import FailureWindow


def test_the_window_judges_only_once_full_and_only_its_last_entries(runtime):
    window = FailureWindow(runtime.redis, 1, size=10, ratio=0.5)

    assert window.record([True] * 4) is False  # 4 of 4 failed, but the window is not full
    assert window.record([False, True, True, False, False, False]) is True  # 6 of 10
    assert window.record([False] * 2) is False  # the two oldest failures left: 4 of 10
    assert runtime.redis.lrange(window.key, 0, -1) == [b"0"] * 5 + [b"1", b"1", b"0", b"1",
                                                                      b"1"]


def test_a_flush_larger_than_the_window_keeps_its_last_outcomes(runtime):
    window = FailureWindow(runtime.redis, 2, size=200, ratio=0.5)

    assert window.record([False] * 5000 + [True] * 150) is True  # 150 of the last 200
    assert runtime.redis.llen(window.key) == 200
