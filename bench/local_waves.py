"""The claim with many not-yet-due rows: a local-delivery edition between two waves.

    .venv/bin/python bench/local_waves.py                  # 200,000 rows, 2,000 due
    .venv/bin/python bench/local_waves.py --rows 500000 --due 5000

Creates a throwaway PostgreSQL database, writes one edition's ledger rows directly (a few
due now, the rest hours away, as after a local fan-out), then times `ledger.claim` (batches
of 100, each marked sent, until none is due), the empty claim that follows (every pending
row is a later wave's) and `ledger.due_pending`, first with the index this branch uses
(edition, status, next_attempt_at) and then with the old one (edition, status). Ends with
one JSON line: {"rows", "due", "due_index": {...}, "old_index": {...}, "load_avg_before"}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.pages import throwaway_stores  # noqa: E402
from newsletter.delivery import ledger  # noqa: E402
from newsletter.models import utcnow  # noqa: E402
from newsletter.runtime import make_engine  # noqa: E402


def seed(engine, rows: int, due: int) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO edition (id, subject, auto_subject, send_at, status, timezone, public,"
            " kind, delivery, local_time, created_at, total)"
            " VALUES (1, 'Bench', false, now(), 'sending', 'UTC', true, 'edition', 'local',"
            " '07:00', now(), :rows)"), {"rows": rows})
        conn.execute(text(
            "INSERT INTO subscriber (email, email_key, status, created_at, updated_at, token_version)"
            " SELECT 'r' || i || '@example.com', 'r' || i || '@example.com', 'active', now(), now(), 0"
            " FROM generate_series(1, :rows) i"), {"rows": rows})
        # every (rows/due)-th reader is in the wave that is due; the others hours away, in
        # 30 later waves, interleaved by id as readers of all zones sign up over time
        conn.execute(text(
            "INSERT INTO delivery (edition_id, subscriber_id, topics_mask, status, attempts,"
            " next_attempt_at)"
            " SELECT 1, s.id, 1, 'pending', 0, CASE WHEN s.id % :step = 0"
            " THEN now() - interval '1 minute' ELSE now() + (1 + s.id % 30) * interval '30 minutes' END"
            " FROM subscriber s"), {"step": rows // due})
        conn.execute(text("ANALYZE"))


def measure(engine) -> dict[str, float]:  # type: ignore[no-untyped-def]
    now = utcnow()
    claims = []
    claimed = 0
    while True:
        with Session(engine) as session:
            start = time.perf_counter()
            rows = ledger.claim(session, 1, 100, now)
            claims.append(time.perf_counter() - start)
            ledger.mark_sent(session, [r.id for r in rows], now, ("<", "@bench>"))
            session.commit()
        claimed += len(rows)
        if not rows:
            break
    empty = claims.pop()
    with Session(engine) as session:
        start = time.perf_counter()
        pending_due = ledger.due_pending(session, 1, now + timedelta(seconds=1))
        count_s = time.perf_counter() - start
    return {"claimed": claimed, "claim_median_ms": round(1000 * statistics.median(claims), 2),
            "claim_max_ms": round(1000 * max(claims), 2),
            "empty_claim_ms": round(1000 * empty, 2),
            "due_pending_ms": round(1000 * count_s, 2), "due_after": pending_due}


def reset(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("UPDATE delivery SET status = 'pending', sent_at = NULL,"
                          " message_id = NULL, attempts = 0"))
        conn.execute(text("ANALYZE delivery"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--due", type=int, default=2_000)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with throwaway_stores() as (url, _redis_url):
        engine = make_engine(url)
        seed(engine, args.rows, args.due)
        due_index = measure(engine)
        reset(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_delivery_due"))
            conn.execute(text("CREATE INDEX ix_delivery_edition_status"
                              " ON delivery (edition_id, status)"))
            conn.execute(text("ANALYZE delivery"))
        old_index = measure(engine)
        engine.dispose()
    print(json.dumps({"rows": args.rows, "due": args.due, "due_index": due_index,
                      "old_index": old_index, "load_avg_before": round(load, 2)}))


if __name__ == "__main__":
    main()
