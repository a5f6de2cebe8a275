"""Ledger size benchmark: MB per million delivery rows over several editions, what archiving
keeps bounded, and what the archive job's VACUUM after each edition changes.

    .venv/bin/python bench/ledger.py                       # 200,000 readers, 4 editions
    .venv/bin/python bench/ledger.py --subscribers 1000000 --editions 3 --chunk 50000

On a throwaway PostgreSQL database, with autovacuum off for the delivery table (the worst
case: autovacuum has not come by yet when the next edition fans out): --editions editions
are fanned out to the same readers (lifecycle.start, the production INSERT … SELECT), each
copy then updated twice as the batches leave it (claimed, then sent with its Message-ID),
the edition archived (delivery/archive.py in chunks of --chunk, what the archive job runs
DELIVERY_ARCHIVE_DAYS later), and then, in the "vacuum" run only, archive.reclaim (the
job's VACUUM (ANALYZE) delivery). Both runs are made in one database, one after the other
(the tables emptied between them). After each step the delivery table's heap and each of
its indexes are measured (pg_relation_size, no VACUUM before reading). Ends with one JSON
line: per run, table + index MB with each edition in (its peak) and after it was archived,
the last edition's per-index MB, the archive's seconds per million copies and longest
chunk (the longest transaction it holds), and each VACUUM's seconds.

What it shows (README, "a ledger that stays bounded"): without a VACUUM between editions
the table grows by a whole edition each time; with the job's VACUUM the heap is reused at
once and the indexes level off one edition's pages higher, because PostgreSQL recycles an
emptied btree page only in a VACUUM after every transaction older than its deletion ended:
the next run's VACUUM (or autovacuum) hands those pages to the next fan-out.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.delivery import create_edition_now, seed  # noqa: E402 - after the sys.path line

MB = 2 ** 20


def sizes(dsn: str) -> dict[str, float]:
    """MB of the delivery heap and each of its indexes, and of the archive (all indexes)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        parts = dict(conn.execute(
            "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c"
            " WHERE c.relname = 'delivery' OR c.oid IN (SELECT indexrelid FROM pg_index"
            " WHERE indrelid = 'delivery'::regclass)").fetchall())
        archive = conn.execute("SELECT pg_total_relation_size('delivery_archive')").fetchone()[0]
    figures = {name: round(size / MB, 1) for name, size in parts.items()}
    figures["total"] = round(sum(parts.values()) / MB, 1)
    figures["archive"] = round(archive / MB, 1)
    return figures


class Laps:
    """archive_edition's go_on: records how long each chunk's transaction took."""

    def __init__(self, into: list[float]) -> None:
        self.into, self.last = into, time.perf_counter()

    def __call__(self) -> bool:
        now = time.perf_counter()
        self.into.append(now - self.last)
        self.last = now
        return True


def one_run(url: str, dsn: str, update_ids: list[int], editions: int, chunk: int,
            vacuum: bool) -> dict[str, object]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from newsletter.delivery import archive, lifecycle
    from newsletter.models import utcnow

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE delivery, delivery_archive, archived_edition"))
        conn.execute(text("ALTER TABLE delivery SET (autovacuum_enabled = false)"))
    per_edition, chunks, vacuum_seconds = [], [], []
    copies = 0
    for n in range(editions):
        edition_id = create_edition_now(url, update_ids)
        with Session(engine) as session:
            copies = lifecycle.start(session, edition_id, list_name="The Briefing",
                                     base_url="https://news.example.test")
            session.commit()
        with engine.begin() as conn:  # claimed, then sent: two row versions, as a send leaves
            conn.execute(text("UPDATE delivery SET status = 'sending', attempts = 1,"
                              " claimed_at = now() WHERE edition_id = :e"), {"e": edition_id})
            conn.execute(text(
                "UPDATE delivery SET status = 'sent', sent_at = now(), message_id = '<edition-'"
                " || edition_id || '-0.' || subscriber_id || '@news.example.test>'"
                " WHERE edition_id = :e"), {"e": edition_id})
            conn.execute(text("UPDATE edition SET status = 'sent', finished_at = now()"
                              " WHERE id = :e"), {"e": edition_id})
        full = sizes(dsn)
        began = time.perf_counter()
        laps = Laps(chunks)
        with Session(engine) as session:
            moved = archive.archive_edition(session, edition_id, utcnow(), chunk=chunk,
                                            go_on=laps)
        seconds = time.perf_counter() - began
        if vacuum:
            began = time.perf_counter()
            archive.reclaim(engine)
            vacuum_seconds.append(time.perf_counter() - began)
        after = sizes(dsn)
        per_edition.append({"full": full, "after": after, "moved": moved.copies,
                            "seconds": seconds})
        print(f"{'vacuum' if vacuum else 'no vacuum'}: edition {n + 1}, {copies:,} copies:"
              f" delivery {full['total']} MB with them, {after['total']} MB after archiving"
              f" ({seconds:.1f} s); archive {after['archive']} MB; {after}",
              file=sys.stderr, flush=True)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE delivery RESET (autovacuum_enabled)"))
    engine.dispose()
    per_million = 1e6 / copies
    last_full = per_edition[-1]["full"]
    return {
        "delivery_mb_per_million_with_each_edition": [
            round(e["full"]["total"] * per_million, 1) for e in per_edition],
        "delivery_mb_per_million_after_each_archive": [
            round(e["after"]["total"] * per_million, 1) for e in per_edition],
        "last_edition_mb_per_million": {k: round(v * per_million, 1)
                                        for k, v in last_full.items() if k != "archive"},
        "archive_mb_per_million": round(per_edition[-1]["after"]["archive"] * 1e6
                                        / sum(e["moved"] for e in per_edition), 1),
        "archive_seconds_per_million": round(
            sum(e["seconds"] for e in per_edition) * 1e6
            / sum(e["moved"] for e in per_edition), 1),
        "longest_chunk_seconds": round(max(chunks), 2),
        "vacuum_seconds": [round(v, 1) for v in vacuum_seconds],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=200_000)
    parser.add_argument("--editions", type=int, default=4)
    parser.add_argument("--chunk", type=int, default=20_000, help="copies per transaction")
    args = parser.parse_args()

    from newsletter.migrate import upgrade
    from tests.support.services import PostgresDatabase

    load = os.getloadavg()[0]
    database = PostgresDatabase()
    url = database.create()
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        upgrade(url)
        update_ids = seed(url, args.subscribers, random.Random(42))
        runs = {name: one_run(url, dsn, update_ids, args.editions, args.chunk, vacuum)
                for name, vacuum in (("no_vacuum", False), ("vacuum", True))}
    finally:
        database.drop()
    print(json.dumps({"subscribers": args.subscribers, "editions": args.editions,
                      "chunk": args.chunk, **runs, "load_avg_before": round(load, 2),
                      "load_avg_after": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
