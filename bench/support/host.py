"""How fast this machine runs plain Python at the moment, so that figures from different
days can be told apart from a change in the code.

The shared machine is not always the same speed. The same tree gave 37–42 web CPU-s per
200/s sign-up burst one day and 101–111 the next, and a fixed Python loop took 1.5–1.8×
longer on the second day. Without a reading of the host next to each result, a slower host
reads as a regression. `host_us` is the best of several timings of one fixed, pure-Python
workload (dict and string work and calls, like a request's), in microseconds: lower is a
faster host. Each benchmark takes it before and after its run, because the host's speed
also moves within minutes.
"""

from __future__ import annotations

import timeit


def _step(i: int) -> int:
    return i & 7


def _workload() -> int:
    total = 0
    seen: dict[str, int] = {}
    for i in range(500):
        key = f"visitor-{i % 50}"
        seen[key] = seen.get(key, 0) + 1
        total += len(key.upper()) + _step(i)
    return total + len(seen)


def python_us(repeat: int = 7, number: int = 20) -> float:
    """Microseconds one run of the fixed workload takes, the best of `repeat` timings
    (the best, not the mean: other processes only ever make it slower)."""
    best = min(timeit.repeat(_workload, repeat=repeat, number=number))
    return round(best / number * 1e6, 1)
