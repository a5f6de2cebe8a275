"""Feed ingestion benchmark: 200 local feeds × 50 entries, polled twice.

    .venv/bin/python bench/feeds.py [--feeds 200] [--entries 50] [--threads 8] [--procs 2]

A local feed server (a child process, so it does not share our GIL) serves every feed with
an ETag. Round 1 polls all feeds (every entry is new). Round 2 polls them again: the even
feeds answer 304 to If-None-Match (unchanged), the odd ones serve a new version with half
new entries and half edited ones. Polling goes through the same locked_poll the RQ job
uses (Redis lock, fetch, parse, sanitize, dedupe, story grouping, PostgreSQL), from
`--procs` processes with `--threads` threads each, like that many workers.

Runs against the machine's PostgreSQL (a throwaway database, created and dropped) and Redis
(a free db number). Ends with one JSON line: {"feeds", "seconds", "articles_per_s", ...}
where seconds is the wall time of both rounds and articles are the rows written (new + updated).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOPICS = 20
_SYLLABLES = ["ka", "lo", "mi", "ta", "ren", "vo", "shi", "da", "pel", "nu", "gar", "zi", "bro",
              "fen", "tul", "ma", "ost", "ri", "yen", "co", "lav", "pe", "dri", "sun"]
_rng = random.Random(7)
_stems: dict[str, str] = {}
while len(_stems) < 6000:  # distinct within grouping's 6-letter stems, like distinct real words
    _word = "".join(_rng.choices(_SYLLABLES, k=4))
    _stems.setdefault(_word[:6], _word)
VOCAB = sorted(_stems.values())
COMMON = VOCAB[:300]  # the everyday words every article uses (low IDF, as in real text)
T0 = datetime(2026, 8, 1, 6, 0, tzinfo=UTC)


# ------------------------------------------------------------------ fixture feeds (server side)

def _event_words(event: int) -> list[str]:
    return random.Random(event).sample(VOCAB, 12)


def feed_body(n: int, version: int, entries: int) -> bytes:
    """RSS 2.0 of feed n. Each entry is about one of 40 events of its topic: outlets word an
    event differently (shared event words plus their own), as real coverage does."""
    rng = random.Random(n * 1000 + version)
    topic = n % TOPICS
    items = []
    for k in range(entries):
        if version == 2 and k < entries // 2:
            key, note = f"{n}-new-{k}", "fresh"
        else:
            key, note = f"{n}-{k}", "edited" if version == 2 else "first"
        event_words = _event_words(topic * 1000 + random.Random(key).randrange(40))
        title = " ".join(rng.sample(event_words, 5) + rng.sample(COMMON, 2)).capitalize()
        body = " ".join(rng.choice(event_words) if rng.random() < 0.3 else rng.choice(COMMON)
                        for _ in range(150))
        when = format_datetime(T0 + timedelta(minutes=k))
        items.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>https://outlet{n}.example/{key}?utm_source=rss</link>"
            f'<guid isPermaLink="false">{key}</guid><pubDate>{when}</pubDate>'
            f"<description>{escape(f'<p>{body} ({note})</p>')}</description>"
            f'<media:content url="https://img.outlet{n}.example/{key}.jpg" medium="image"/></item>')
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:media="http://search.yahoo.com/mrss/"><channel>'
            f"<title>Outlet {n}</title><link>https://outlet{n}.example/</link>"
            f"<description>bench</description>{''.join(items)}</channel></rss>").encode()


def serve(port_out, round_flag, feeds: int, entries: int) -> None:  # type: ignore[no-untyped-def]
    bodies = {(n, v): feed_body(n, v, entries) for n in range(feeds) for v in (1, 2)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            return None

        def do_GET(self) -> None:  # noqa: N802
            n = int(self.path.rsplit("/", 1)[1].split(".")[0])
            version = 1 if round_flag.value == 1 or n % 2 == 0 else 2
            etag = f'"v{version}-{n}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = bodies[(n, version)]
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    port_out.value = server.server_address[1]
    server.serve_forever()


# ------------------------------------------------------------------ polling (worker side)

def _settings(database_url: str, redis_url: str, instance: Path):  # type: ignore[no-untyped-def]
    from newsletter.config import Settings

    return Settings.from_env(instance=instance, database_url=database_url, redis_url=redis_url,
                             smtp_url=None, base_url="https://news.example.test",
                             secret_key="bench", feeds_allow_private=True)


_worker: dict[str, object] = {}


def start_worker(database_url: str, redis_url: str, instance: str) -> None:
    """Pool initializer: import and connect once per process, as a long-lived worker does."""
    from newsletter.feeds.fetch import make_client
    from newsletter.feeds.settings import FeedSettings
    from newsletter.runtime import Runtime

    runtime = Runtime(_settings(database_url, redis_url, Path(instance))).activate()
    _worker["runtime"] = runtime
    _worker["client"] = make_client(FeedSettings.from_settings(runtime.settings))
    with runtime.engine.connect():
        pass
    runtime.redis.ping()


def poll_share(args: tuple[list[int], int]) -> dict[str, int]:
    """One 'worker': a process with a thread pool calling the job's locked_poll."""
    ids, threads = args
    from newsletter.feeds.jobs import locked_poll

    runtime, client = _worker["runtime"], _worker["client"]
    counts = {"new": 0, "updated": 0, "not_modified": 0, "errors": 0, "busy": 0}
    with ThreadPoolExecutor(threads) as pool:
        for result in pool.map(lambda i: locked_poll(runtime, i, client=client), ids):  # type: ignore[arg-type]
            if result is None:
                counts["busy"] += 1
                continue
            counts["new"] += result.new
            counts["updated"] += result.updated
            counts["not_modified"] += result.status == "not_modified"
            counts["errors"] += result.status == "error"
    return counts


def run_round(pool, ids: list[int], procs: int,  # type: ignore[no-untyped-def]
              threads: int) -> tuple[float, dict[str, int]]:
    shares = [(ids[k::procs], threads) for k in range(procs)]
    started = time.perf_counter()
    results = pool.map(poll_share, shares)
    elapsed = time.perf_counter() - started
    total: dict[str, int] = {}
    for counts in results:
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    return elapsed, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--procs", type=int, default=3)
    opts = parser.parse_args()

    import tempfile

    from newsletter.feeds.catalog import add_feed
    from newsletter.migrate import upgrade
    from newsletter.runtime import Runtime
    from tests.factories import make_topic
    from tests.support.services import PostgresDatabase, RedisDatabase

    ctx = multiprocessing.get_context("spawn")
    port, round_flag = ctx.Value("i", 0), ctx.Value("i", 1)
    server = ctx.Process(target=serve, args=(port, round_flag, opts.feeds, opts.entries), daemon=True)
    server.start()
    database, redis_db = PostgresDatabase(), RedisDatabase()
    database_url = database.create()
    redis_url = redis_db.acquire()
    instance = Path(tempfile.mkdtemp(prefix="bench-feeds-"))
    try:
        upgrade(database_url)
        runtime = Runtime(_settings(database_url, redis_url, instance))
        while port.value == 0:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port.value}"
        with runtime.session() as session:
            for t in range(TOPICS):
                make_topic(session, f"topic-{t}")
            ids = [add_feed(session, f"topic-{n % TOPICS}", f"{base}/feed/{n}.xml", 30,
                            allow_private=True).id for n in range(opts.feeds)]
        load_before = os.getloadavg()[0]
        with ctx.Pool(opts.procs, initializer=start_worker,
                      initargs=(database_url, redis_url, str(instance))) as pool:
            pool.map(time.sleep, [0.5] * opts.procs)  # every worker has started and connected
            first_s, first = run_round(pool, ids, opts.procs, opts.threads)
            print(f"round 1: {first_s:.2f} s {first}", file=sys.stderr)
            round_flag.value = 2
            second_s, second = run_round(pool, ids, opts.procs, opts.threads)
            print(f"round 2: {second_s:.2f} s {second}", file=sys.stderr)
        from sqlalchemy import func, select

        from newsletter.models import Article, Story

        with runtime.session() as session:
            stored = session.scalar(select(func.count()).select_from(Article))
            stories = session.scalar(select(func.count()).select_from(Story))
        runtime.engine.dispose()
        seconds = first_s + second_s
        written = first["new"] + first["updated"] + second["new"] + second["updated"]
        print(f"articles in database: {stored}, stories: {stories}", file=sys.stderr)
        print(json.dumps({
            "feeds": opts.feeds, "seconds": round(seconds, 2),
            "articles_per_s": round(written / seconds, 1),
            "round1_s": round(first_s, 2), "round2_s": round(second_s, 2),
            "new": first["new"] + second["new"], "updated": first["updated"] + second["updated"],
            "not_modified": second["not_modified"], "errors": first["errors"] + second["errors"],
            # the machine is shared: a 1-minute load above 2 means other work took CPU from us
            "load_avg": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        }))
    finally:
        server.terminate()
        database.drop()
        redis_db.release()


if __name__ == "__main__":
    main()
