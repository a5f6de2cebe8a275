"""Ledger size benchmark: bytes per million delivery rows, and what archiving keeps bounded.

    .venv/bin/python bench/ledger.py                       # 200,000 readers, 3 editions
    .venv/bin/python bench/ledger.py --subscribers 1000000 --editions 2

On a throwaway PostgreSQL database: --editions editions are fanned out to the same readers
(lifecycle.start, the production INSERT … SELECT) and marked sent with a Message-ID in one
UPDATE (what the batches leave behind, without sending: this measures storage, not speed).
After each, pg_total_relation_size('delivery') (table + indexes + TOAST) is read; then the
edition is archived (delivery/archive.py, what the tick runs DELIVERY_ARCHIVE_DAYS later),
autovacuum's work is done by hand (VACUUM), and both tables are measured again. Without the
archive the delivery table grows by its per-million size with every edition; with it, the
next edition's rows reuse the space the last one left and the table stays at one edition.
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.delivery import create_edition_now, seed  # noqa: E402 - after the sys.path line


def sizes(dsn: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM delivery")  # what autovacuum does soon after a big DELETE
        conn.execute("VACUUM delivery_archive")
        row = conn.execute(
            "SELECT pg_total_relation_size('delivery'), (SELECT count(*) FROM delivery),"
            " pg_total_relation_size('delivery_archive'),"
            " (SELECT count(*) FROM delivery_archive)").fetchone()
        parts = dict(conn.execute(
            "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c"
            " WHERE c.relname = 'delivery' OR c.oid IN (SELECT indexrelid FROM pg_index"
            " WHERE indrelid = 'delivery'::regclass)").fetchall())
    return {**dict(zip(("delivery_bytes", "delivery_rows", "archive_bytes", "archive_rows"), row,
                       strict=True)), "parts": parts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=200_000)
    parser.add_argument("--editions", type=int, default=3)
    args = parser.parse_args()

    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from newsletter.delivery import archive, lifecycle
    from newsletter.migrate import upgrade
    from newsletter.models import utcnow
    from tests.support.services import PostgresDatabase

    database = PostgresDatabase()
    url = database.create()
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    mb = 2 ** 20
    try:
        upgrade(url)
        update_ids = seed(url, args.subscribers, random.Random(42))
        engine = create_engine(url)
        per_edition = []
        for n in range(args.editions):
            edition_id = create_edition_now(url, update_ids)
            with Session(engine) as session:
                rows = lifecycle.start(session, edition_id, list_name="The Briefing",
                                       base_url="https://news.example.test")
                session.execute(text(
                    "UPDATE delivery SET status = 'sent', attempts = 1, claimed_at = now(),"
                    " sent_at = now(), message_id = '<edition-' || edition_id || '-0.'"
                    " || subscriber_id || '@news.example.test>' WHERE edition_id = :e"),
                    {"e": edition_id})
                session.execute(text("UPDATE edition SET status = 'sent', finished_at = now()"
                                     " WHERE id = :e"), {"e": edition_id})
                session.commit()
            full = sizes(dsn)
            began = time.perf_counter()
            with Session(engine) as session:
                moved = archive.archive_edition(session, edition_id, utcnow())
                session.commit()
            seconds = time.perf_counter() - began
            after = sizes(dsn)
            per_edition.append({
                "edition": n + 1, "copies": rows, "moved": moved,
                "delivery_mb_full": round(full["delivery_bytes"] / mb, 1),
                "delivery_mb_after_archive": round(after["delivery_bytes"] / mb, 1),
                "archive_mb": round(after["archive_bytes"] / mb, 1),
                "archive_seconds": round(seconds, 1)})
            print(f"edition {n + 1}: {rows:,} copies; delivery table {per_edition[-1]['delivery_mb_full']} MB"
                  f" with them, {per_edition[-1]['delivery_mb_after_archive']} MB after archiving"
                  f" ({seconds:.1f} s); archive {per_edition[-1]['archive_mb']} MB for "
                  f"{after['archive_rows']:,} copies; delivery table and index bytes after "
                f"archiving {after['parts']}", flush=True)
        engine.dispose()
        first = per_edition[0]
        per_million = 1e6 / first["copies"]
        archive_total = per_edition[-1]["archive_mb"]
        archived_rows = sum(e["moved"] for e in per_edition)
        print(json.dumps({
            "subscribers": args.subscribers, "editions": args.editions,
            "delivery_mb_per_million": round(first["delivery_mb_full"] * per_million, 1),
            "archive_mb_per_million": round(archive_total * 1e6 / archived_rows, 1),
            "archive_seconds_per_million": round(first["archive_seconds"] * per_million, 1),
            "delivery_mb_with_each_edition": [e["delivery_mb_full"] for e in per_edition],
            "delivery_mb_after_each_archive": [e["delivery_mb_after_archive"] for e in per_edition],
        }))
    finally:
        database.drop()


if __name__ == "__main__":
    main()
