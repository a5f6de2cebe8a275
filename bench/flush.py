"""What writing outcomes more often costs the sender: CPU seconds per copy, by FLUSH_EVERY.

    .venv/bin/python bench/flush.py                     # 20,000 copies, FLUSH_EVERY 100 vs 20
    .venv/bin/python bench/flush.py --flush-every 100 20 10 --rounds 3

One process calls the real `send_batch` (claim, stamp, outcome flushes to PostgreSQL and
Redis) over a transport that accepts every message at once, so what is left is the
engine's own work; after each drain the ledger is reset and the next setting runs, the
settings taking turns for --rounds rounds. CPU time (time.process_time) of this process
hardly depends on how busy the shared machine is; wall time does, and is printed too.
Ends with one JSON line: CPU ms per copy for each setting (median of the rounds).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.delivery import BASE_URL, MAIL_FROM, SECRET, create_edition_now, seed  # noqa: E402


class Accepting:
    """A transport that takes every message at once (no socket): the engine alone."""

    def __enter__(self) -> Accepting:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--flush-every", type=int, nargs="+", default=[100, 20])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from sqlalchemy import text

    from newsletter.config import Settings
    from newsletter.delivery import lifecycle
    from newsletter.delivery.sender import Identity, send_batch
    from newsletter.delivery.settings import SendSettings
    from newsletter.mail.postman import Postman
    from newsletter.migrate import upgrade
    from newsletter.runtime import Runtime
    from newsletter.subscribers.links import Links
    from tests.support.services import PostgresDatabase, RedisDatabase

    database, redis_db = PostgresDatabase(), RedisDatabase()
    url = database.create()
    redis_url = redis_db.acquire()
    try:
        upgrade(url)
        update_ids = seed(url, args.subscribers, random.Random(42))
        edition_id = create_edition_now(url, update_ids)
        settings = Settings.from_env(instance=Path(tempfile.mkdtemp(prefix="bench-flush-")), database_url=url,
                                     redis_url=redis_url, smtp_url=None, base_url=BASE_URL,
                                     secret_key=SECRET, mail_from=MAIL_FROM, smtp_rate=None)
        runtime = Runtime(settings)
        with runtime.session() as session:
            copies = lifecycle.start(session, edition_id, list_name=settings.list_name,
                                     base_url=BASE_URL)
        ident, links = Identity.from_settings(settings), Links.from_settings(settings)
        cpu: dict[int, list[float]] = {n: [] for n in args.flush_every}
        for _ in range(args.rounds):
            for every in args.flush_every:
                send = dataclasses.replace(SendSettings.from_settings(settings),
                                           flush_every=every)
                if hasattr(send, "flush_seconds"):  # count only (the code before it had none)
                    send = dataclasses.replace(send, flush_seconds=3600.0)
                with runtime.session() as session:
                    session.execute(text(
                        "UPDATE delivery SET status = 'pending', attempts = 0, claimed_at = NULL,"
                        " sent_at = NULL, message_id = NULL; UPDATE edition SET status ="
                        " 'sending', finished_at = NULL"))
                runtime.redis.flushdb()
                began, began_cpu, sent = time.perf_counter(), time.process_time(), 0
                while True:
                    result = send_batch(runtime.Session, runtime.redis, edition_id,
                                        Postman(Accepting(), envelope_from="b@example.com"),
                                        ident, links, send)
                    sent += result.sent
                    if not result.claimed:
                        break
                used = time.process_time() - began_cpu
                cpu[every].append(used * 1000 / sent)
                print(f"FLUSH_EVERY {every}: {sent:,} copies, CPU {used:.2f} s = "
                      f"{used * 1000 / sent:.3f} ms per copy, wall "
                      f"{time.perf_counter() - began:.2f} s", flush=True)
        print(json.dumps({"copies": copies, "rounds": args.rounds,
                          "cpu_ms_per_copy": {str(n): round(statistics.median(v), 3)
                                              for n, v in cpu.items()}}))
    finally:
        redis_db.release()
        database.drop()


if __name__ == "__main__":
    main()
