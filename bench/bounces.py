"""Bounce classification benchmark: messages classified per second over the fixture set.

    .venv/bin/python bench/bounces.py              # 5 rounds over tests/bounces/fixtures
    .venv/bin/python bench/bounces.py --rounds 20

Reads every fixture once (files only, so disk is not timed), classifies all of them in each
round, and ends with one JSON line: {"messages", "seconds", "messages_per_s"}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsletter.bounces import classify  # noqa: E402

FIXTURES = ROOT / "tests" / "bounces" / "fixtures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    messages = [p.read_bytes() for p in sorted(FIXTURES.rglob("*.txt"))]
    for data in messages:  # warm up: regexes compiled, modules imported
        classify(data)
    started = time.perf_counter()
    for _ in range(args.rounds):
        for data in messages:
            classify(data)
    seconds = time.perf_counter() - started
    count = len(messages) * args.rounds
    print(json.dumps({"messages": count, "seconds": round(seconds, 3),
                      "messages_per_s": round(count / seconds, 1)}))


if __name__ == "__main__":
    main()
