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


def test_successes_wait_in_the_process_until_enough_have_gathered(runtime):
    window = FailureWindow(runtime.redis, 3, size=200, ratio=0.5, hold=100)

    for _ in range(4):
        assert window.record([False] * 20) is False
    assert runtime.redis.llen(window.key) == 0  # 80 held: no round trip yet

    window.record([False] * 20)

    assert runtime.redis.lrange(window.key, 0, -1) == [b"0"] * 100


def test_a_failure_goes_at_once_with_the_successes_held_before_it(runtime):
    window = FailureWindow(runtime.redis, 4, size=10, ratio=0.5, hold=100)
    window.record([False] * 3)

    assert window.record([True] * 5 + [False] * 2) is False  # 10 entries, 5 failed: not over
    assert runtime.redis.lrange(window.key, 0, -1) == [b"0"] * 2 + [b"1"] * 5 + [b"0"] * 3
    assert window.record([True]) is True  # judged at once: 6 of the last 10


def test_releasing_writes_the_successes_still_held(runtime):
    window = FailureWindow(runtime.redis, 5, size=200, ratio=0.5, hold=100)
    window.record([False] * 30)

    window.release()

    assert runtime.redis.llen(window.key) == 30
