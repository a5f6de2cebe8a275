"""Tracked-link redirects under load: gunicorn on PostgreSQL, recording on.

    .venv/bin/python bench/clicks.py                   # 1000 req/s for 10 s
    .venv/bin/python bench/clicks.py --rate 1500 --seconds 20

Creates a throwaway PostgreSQL database, sends nothing but starts a real edition with click
tracking (render once, delivery rows), marks its copies delivered an hour ago, then replays
`/r/<token>` clicks of many readers on a fixed open-loop schedule through gunicorn as the
Procfile runs it (the load generator of bench/pages.py). Redirects only append to Redis; at
the end the tick's drain stores them, and the script checks every click was recorded. Ends
with one JSON line: {"rate", "seconds", "requests", "errors", "achieved_rps", "median_ms",
"p99_ms", "max_ms", "server_cpu_ms" (CPU of all gunicorn processes per redirect: compare
with bench/web_cpu.py's click_cpu_ms, the app's share), "recorded", "drain_s", "gunicorn",
"load_avg_before"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.pages import (  # noqa: E402
    SERVERS,
    gunicorn_layout,
    load,
    percentile,
    served,
    throwaway_stores,
)
from bench.signup import tree_cpu  # noqa: E402
from newsletter import keys  # noqa: E402
from newsletter.delivery import lifecycle  # noqa: E402
from newsletter.editorial.editions import create_edition  # noqa: E402
from newsletter.engagement.links import ClickSigner  # noqa: E402
from newsletter.engagement.recording import drain  # noqa: E402
from newsletter.models import Click, Delivery, Subscriber, Subscription, utcnow  # noqa: E402
from newsletter.runtime import make_engine  # noqa: E402
from tests.factories import make_topic, make_update  # noqa: E402

SECRET = "bench-secret"
READERS = 2000


def seed(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        topics = [make_topic(session, f"topic-{i}") for i in range(4)]
        updates = [make_update(session, t) for t in topics]
        now = utcnow()
        ids = session.scalars(insert(Subscriber).returning(Subscriber.id), [
            {"email": f"r{i}@example.com", "email_key": f"r{i}@example.com",
             "status": "active", "confirmed_at": now} for i in range(READERS)]).all()
        session.execute(insert(Subscription), [{"subscriber_id": sid, "topic_id": t.id}
                                               for sid in ids for t in topics])
        edition = create_edition(session, "Bench", [u.id for u in updates], now)
        session.commit()
        lifecycle.start(session, edition.id, list_name="Bench", base_url="http://127.0.0.1",
                       track=ClickSigner(SECRET).link_path)
        session.execute(update(Delivery).values(status="sent",
                                                sent_at=now - timedelta(hours=1)))
        session.commit()
        edition_id = edition.id
    engine.dispose()
    return edition_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    load_before = os.getloadavg()

    with throwaway_stores() as (url, redis_url):
        edition_id = seed(url)
        signer = ClickSigner(SECRET)
        paths = [signer.link_path(edition_id, item) + signer.reader_part(edition_id, reader)
                 for reader in range(1, READERS + 1) for item in range(4)]
        with served(url, redis_url, SECRET, "clicks") as port:

            def request(i: int) -> bytes:
                return (f"GET {paths[i % len(paths)]} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0\r\n\r\n").encode()

            asyncio.run(load(port, "", 50, 2, request, ok_status=302))  # warm up
            redis = Redis.from_url(redis_url)
            redis.delete(keys.CLICK_EVENTS)
            cpu_before = tree_cpu(SERVERS[port])
            latencies, errors, elapsed = asyncio.run(
                load(port, "", args.rate, args.seconds, request, ok_status=302))
            server_cpu = tree_cpu(SERVERS[port]) - cpu_before
        engine = make_engine(url)
        started = time.perf_counter()
        with Session(engine) as session:
            while drain(session, redis):
                pass
            recorded = session.scalar(select(func.count()).select_from(Click))
        drain_s = time.perf_counter() - started
        engine.dispose()

    ms = [v * 1000 for v in latencies]
    print(json.dumps({
        "rate": args.rate, "seconds": args.seconds, "requests": int(args.rate * args.seconds),
        "errors": errors, "achieved_rps": round(len(ms) / elapsed, 1),
        "median_ms": round(statistics.median(ms), 2), "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2),
        "server_cpu_ms": round(server_cpu * 1000 / max(1, len(ms)), 3), "recorded": recorded,
        "drain_s": round(drain_s, 2),
        "gunicorn": gunicorn_layout(),
        "load_avg_before": [round(x, 2) for x in load_before],
    }))


if __name__ == "__main__":
    main()
