"""CSV import benchmark: 100,000 subscriber rows into a fresh PostgreSQL database.

    .venv/bin/python bench/import.py              # 100,000 rows
    .venv/bin/python bench/import.py --rows 20000

Generates a CSV (email, topics) with a few suppressed addresses and repeated rows mixed in,
creates a throwaway database on the machine's PostgreSQL (like tests/support/services.py),
migrates it, and times `import_subscribers` from reading the file to COMMIT. Checks the
result, drops the database and ends with one JSON line: {"rows", "seconds", "rows_per_s"}.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from newsletter.migrate import upgrade  # noqa: E402
from newsletter.models import Subscriber, Subscription, Topic  # noqa: E402
from newsletter.runtime import make_engine  # noqa: E402
from newsletter.subscribers.importer import import_subscribers  # noqa: E402
from newsletter.subscribers.service import suppress  # noqa: E402
from tests.support.services import PostgresDatabase  # noqa: E402

SLUGS = ["world", "climate", "tech", "business", "science"]
SUPPRESSED = 100
REPEATS = 500


def make_csv(rows: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    out = io.StringIO()
    out.write("email,topics\n")
    for i in range(rows - REPEATS):
        picked = rng.sample(SLUGS, rng.randint(1, 3))
        out.write(f"reader{i}@example{i % 97}.com,{';'.join(picked)}\n")
    for i in range(REPEATS):  # the same person twice, other topics: merged
        out.write(f"READER{i}@example{i % 97}.com,{rng.choice(SLUGS)}\n")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    text = make_csv(args.rows)

    database = PostgresDatabase()
    url = database.create()
    try:
        upgrade(url)
        engine = make_engine(url)
        from functools import partial

        from sqlalchemy.orm import Session as PlainSession

        from newsletter.subscribers.suppression import INFO_KEY, derive_key

        Session = partial(PlainSession, info={INFO_KEY: derive_key("bench-secret")})  # noqa: N806
        with Session(engine) as session:
            session.add_all(Topic(slug=s, name=s.title()) for s in SLUGS)
            for i in range(SUPPRESSED):
                suppress(session, f"reader{i * 7}@example{(i * 7) % 97}.com", reason="erased")
            session.commit()

        started = time.perf_counter()
        with Session(engine) as session:
            report = import_subscribers(session, io.StringIO(text, newline=""), "active")
            session.commit()
        seconds = time.perf_counter() - started

        with Session(engine) as session:
            people = session.scalar(select(func.count()).select_from(Subscriber))
            links = session.scalar(select(func.count()).select_from(Subscription))
        expected = args.rows - REPEATS - SUPPRESSED
        assert report.ok and report.rows == args.rows, report.errors[:5]
        assert report.suppressed == SUPPRESSED and report.duplicates == REPEATS
        assert people == report.created == expected, (people, report.created, expected)
        print(f"imported {people:,} subscribers, {links:,} topic choices; skipped "
              f"{report.suppressed} suppressed, merged {report.duplicates} repeats", file=sys.stderr)
        engine.dispose()
    finally:
        database.drop()
    print(json.dumps({"rows": args.rows, "seconds": round(seconds, 2),
                      "rows_per_s": round(args.rows / seconds)}))


if __name__ == "__main__":
    main()
