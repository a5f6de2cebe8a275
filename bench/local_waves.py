"""The claim with many rows it must not read: a local-delivery edition between two waves,
and an at-once edition most of whose rows are sent.

    .venv/bin/python bench/local_waves.py                  # 200,000 rows, 2,000 due; 500,000 at once
    .venv/bin/python bench/local_waves.py --rows 500000 --due 5000 --at-once 1000000

Creates a throwaway PostgreSQL database, writes one edition's ledger rows directly (a few
due now, the rest hours away, as after a local fan-out), then times `ledger.claim` (batches
of 100, each marked sent, until none is due), the empty claim that follows (every pending
row is a later wave's) and `ledger.due_pending`, first with the index this branch uses
(edition, status, next_attempt_at) and then with the old one (edition, status). Ends with
one JSON line: {"rows", "due", "due_index": {...}, "old_index": {...}, "at_once": {...},
"load_avg_before"}.

"at_once": an edition sent to everyone at send_at (no next_attempt_at), --at-once rows, the
first --sent-share of them (in id order, as the claims take them) sent: each row updated
twice (claimed, then sent), as the batches leave it. EXPLAIN (ANALYZE, BUFFERS) of the
claim's UPDATE (a batch of 500, rolled back) reports its buffers and milliseconds, with the
partial index ix_delivery_claim (edition_id, id) WHERE pending with no time set, and
without it (ix_delivery_due only, before 0017), each both before the table is vacuumed (the
claimed rows' old index entries still there, as in the middle of a send) and after.
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


def seed_at_once(engine, rows: int, sent_share: float) -> int:  # type: ignore[no-untyped-def]
    """Edition 2: `rows` copies to send at once, the first `sent_share` of them sent."""
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE delivery SET (autovacuum_enabled = false)"))
        conn.execute(text(
            "INSERT INTO edition (id, subject, auto_subject, send_at, status, timezone, public,"
            " kind, delivery, created_at, total)"
            " VALUES (2, 'At once', false, now(), 'sending', 'UTC', true, 'edition', 'at_time',"
            " now(), :rows)"), {"rows": rows})
        have = conn.execute(text("SELECT count(*) FROM subscriber")).scalar()
        conn.execute(text(
            "INSERT INTO subscriber (email, email_key, status, created_at, updated_at, token_version)"
            " SELECT 'a' || i || '@example.com', 'a' || i || '@example.com', 'active', now(), now(), 0"
            " FROM generate_series(1, :more) i"), {"more": max(0, rows - have)})
        conn.execute(text(
            "INSERT INTO delivery (edition_id, subscriber_id, topics_mask, status, attempts)"
            " SELECT 2, id, 1, 'pending', 0 FROM subscriber ORDER BY id LIMIT :rows"),
            {"rows": rows})
        first = conn.execute(text("SELECT min(id) FROM delivery WHERE edition_id = 2")).scalar()
        sent_below = first + int(rows * sent_share)
        conn.execute(text("UPDATE delivery SET status = 'sending', attempts = 1,"
                          " claimed_at = now() WHERE edition_id = 2 AND id < :b"),
                     {"b": sent_below})
        conn.execute(text(
            "UPDATE delivery SET status = 'sent', sent_at = now(), message_id = '<edition-2-x.'"
            " || subscriber_id || '@bench>' WHERE edition_id = 2 AND id < :b"), {"b": sent_below})
        conn.execute(text("ANALYZE delivery"))
    return rows - int(rows * sent_share)


def explain_claim(engine, batch: int = 500, runs: int = 3) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """EXPLAIN (ANALYZE, BUFFERS) of the claim's UPDATE on edition 2, rolled back: the
    median of `runs` of its shared buffers (hit + read) and execution milliseconds."""
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def grab(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith(("WITH", "UPDATE")) and "SKIP LOCKED" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        with Session(engine) as session:
            got = ledger.claim(session, 2, batch, utcnow())
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    statement, parameters = seen[0]  # the first-attempt claim (next_attempt_at IS NULL)
    figures: dict[str, list[float]] = {"find_buffers": [], "find_ms": [], "buffers": [],
                                       "ms": []}
    for _ in range(runs):
        with engine.connect() as conn:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement,
                                        parameters).scalar()[0]
            conn.rollback()
        top = plan["Plan"]
        find = _node(top, "CTE due")  # finding and locking the rows, before they are updated
        figures["find_buffers"].append(find["Shared Hit Blocks"] + find["Shared Read Blocks"])
        figures["find_ms"].append(find["Actual Total Time"])
        figures["buffers"].append(top["Shared Hit Blocks"] + top["Shared Read Blocks"])
        figures["ms"].append(plan["Execution Time"])
    scan = _node(_node(top, "CTE due"), None, leaf=True)
    return {"claimed": len(got), "scan": f"{scan['Node Type']} {scan.get('Index Name', '')}",
            **{k: round(statistics.median(v), 2) for k, v in figures.items()}}


def _node(plan: dict, name: str | None, leaf: bool = False) -> dict:  # type: ignore[type-arg]
    """The plan node called `name` (a CTE's "Subplan Name"), or the first leaf."""
    if (leaf and not plan.get("Plans")) or (name and plan.get("Subplan Name") == name):
        return plan
    for child in plan.get("Plans", []):
        if found := _node(child, name, leaf):
            return found
    return {}


def at_once(engine, rows: int, sent_share: float) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The claim on a mostly sent at-once edition, with and without ix_delivery_claim,
    before and after VACUUM."""
    pending = seed_at_once(engine, rows, sent_share)
    figures: dict[str, object] = {"rows": rows, "pending": pending}
    for name in ("claim_index", "without_claim_index"):
        if name == "without_claim_index":
            with engine.begin() as conn:
                conn.execute(text("DROP INDEX ix_delivery_claim"))
                conn.execute(text("ANALYZE delivery"))
        not_vacuumed = explain_claim(engine)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) delivery")
        figures[name] = {"not_vacuumed": not_vacuumed, "vacuumed": explain_claim(engine)}
        print(f"at once, {name}: {figures[name]}", file=sys.stderr, flush=True)
    with engine.begin() as conn:  # back as it was for the local-delivery figures
        conn.execute(text("DELETE FROM delivery WHERE edition_id = 2"))
        conn.execute(text("CREATE INDEX ix_delivery_claim ON delivery (edition_id, id)"
                          " WHERE status = 'pending' AND next_attempt_at IS NULL"))
        conn.execute(text("ALTER TABLE delivery RESET (autovacuum_enabled)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) delivery")
    return figures


def reset(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("UPDATE delivery SET status = 'pending', sent_at = NULL,"
                          " message_id = NULL, attempts = 0"))
        conn.execute(text("ANALYZE delivery"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--due", type=int, default=2_000)
    parser.add_argument("--at-once", type=int, default=500_000, help="rows of the at-once edition")
    parser.add_argument("--sent-share", type=float, default=0.9)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with throwaway_stores() as (url, _redis_url):
        engine = make_engine(url)
        seed(engine, args.rows, args.due)
        at_once_figures = at_once(engine, args.at_once, args.sent_share)
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
                      "old_index": old_index, "at_once": at_once_figures,
                      "load_avg_before": round(load, 2)}))


if __name__ == "__main__":
    main()
