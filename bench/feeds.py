"""Feed ingestion through the workers: 1,000 local feeds polled by real `python worker.py`s.

    .venv/bin/python bench/feeds.py [--feeds 1000] [--workers 2] [--hosts 20]

A feed server (a child process on asyncio, so it does not share our GIL) serves realistic
feeds from `--hosts` loopback addresses (127.0.0.1, 127.0.0.2, …: a per-host limit is
exercised as it would be on the internet): 5 to 100 entries with 40 to 300 words each, an
ETag on every answer, 3% slow (1–5 s before the first byte), 0.3% that never answer within the
read timeout, and broken ones (HTTP 500, 404, 410 Gone, an HTML page instead of a feed).

The Procfile's `python worker.py` processes run on PostgreSQL and Redis (throwaway database
and Redis db) with the production defaults, FEEDS_ALLOW_PRIVATE=1 being the only change (the
feeds are on loopback). Each round marks every enabled feed due and calls the tick's
`enqueue_due_feeds`; it ends when every enqueued feed has recorded its fetch.

- Round 1: every entry is new.
- Round 2 (the 304 round): 80% of the feeds answer 304 to If-None-Match; the others serve a
  new version whose first fifth of entries are new (the rest unchanged).

Ends with one JSON line: {"feeds", "seconds", "articles_per_s", …} for round 1 and the same
under "round2"; articles are rows written (new + updated). Worker CPU-seconds per feed (the
workers' own CPU, less sensitive to the shared machine's load than wall time) and the
1-minute load average before and after each round are included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
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
SIZES = [(5, 10), (10, 25), (20, 25), (30, 15), (50, 15), (100, 10)]  # (entries, % of feeds)
SECRET = "bench-feeds-secret"


# ------------------------------------------------------------------ the fixture feeds

def kind(n: int) -> str:
    """What feed n does: ok, slow, hang, error (500), missing (404), gone (410) or html."""
    if n % 333 == 99:
        return "hang"
    if n % 100 == 53 or n % 50 == 17:
        return "slow"
    if n % 50 == 7:
        return "error"
    if n % 100 == 13:
        return "missing"
    if n % 200 == 41:
        return "gone"
    if n % 100 == 29:
        return "html"
    return "ok"


def changes(n: int) -> bool:
    """Whether feed n has a new version in round 2 (a fifth of the feeds)."""
    return n % 5 == 1


def shape(n: int) -> tuple[int, int]:
    """(entries, words per entry) of feed n."""
    rng = random.Random(n)
    entries = rng.choices([s for s, _ in SIZES], weights=[w for _, w in SIZES])[0]
    return entries, rng.randint(40, 300)


def _event_words(event: int) -> list[str]:
    return random.Random(event).sample(VOCAB, 12)


def feed_body(n: int, version: int) -> bytes:
    """RSS 2.0 of feed n. Each entry is about one of 40 events of its topic: outlets word an
    event differently (shared event words plus their own), as real coverage does. Version 2
    puts a fifth of new entries on top; the rest are the same bytes as version 1."""
    entries, words = shape(n)
    topic = n % TOPICS
    fresh = max(1, entries // 5) if version == 2 else 0
    keys = [f"{n}-new-{k}" for k in range(fresh)] + [f"{n}-{k}" for k in range(entries - fresh)]
    items = []
    for k, key in enumerate(keys):
        rng = random.Random(key)
        event_words = _event_words(topic * 1000 + rng.randrange(40))
        title = " ".join(rng.sample(event_words, 5) + rng.sample(COMMON, 2)).capitalize()
        body = " ".join(rng.choice(event_words) if rng.random() < 0.3 else rng.choice(COMMON)
                        for _ in range(words))
        when = format_datetime(T0 + timedelta(minutes=entries - k + (60 if "new" in key else 0)))
        items.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>https://outlet{n}.example/{key}?utm_source=rss</link>"
            f'<guid isPermaLink="false">{key}</guid><pubDate>{when}</pubDate>'
            f"<description>{escape(f'<p>{body}</p>')}</description>"
            f'<media:content url="https://img.outlet{n}.example/{key}.jpg" medium="image"/></item>')
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:media="http://search.yahoo.com/mrss/"><channel>'
            f"<title>Outlet {n}</title><link>https://outlet{n}.example/</link>"
            f"<description>bench</description>{''.join(items)}</channel></rss>").encode()


HTML_PAGE = b"<!doctype html><html><head><title>Moved</title></head><body><p>Our feed moved."


def serve(ready, round_flag, feeds: int, hosts: int) -> None:  # type: ignore[no-untyped-def]
    """The feed server: one listening socket per loopback address, keep-alive HTTP/1.1."""
    bodies = {(n, v): feed_body(n, v) for n in range(feeds) if kind(n) in ("ok", "slow", "hang")
              for v in ((1, 2) if changes(n) else (1,))}

    def answer(n: int, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes, float]:
        what = kind(n)
        delay = {"slow": 1.0 + (n % 5), "hang": 30.0}.get(what, 0.0)
        if what in ("error", "missing", "gone"):
            return {"error": 500, "missing": 404, "gone": 410}[what], {}, b"no", delay
        if what == "html":
            return 200, {"Content-Type": "text/html"}, HTML_PAGE, delay
        version = 2 if round_flag.value == 2 and changes(n) else 1
        etag = f'"v{version}-{n}"'
        if headers.get("if-none-match") == etag:
            return 304, {"ETag": etag}, b"", delay
        return 200, {"ETag": etag, "Content-Type": "application/rss+xml; charset=utf-8"}, \
            bodies[(n, version)], delay

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readline()
                if not request:
                    return
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                path = request.split()[1].decode()
                status, extra, body, delay = answer(int(path.rsplit("/", 1)[1].split(".")[0]),
                                                    headers)
                if delay:
                    await asyncio.sleep(delay)
                head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
                head += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, IndexError, ValueError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        servers = [await asyncio.start_server(handle, f"127.0.0.{h + 1}", 0, backlog=512)
                   for h in range(hosts)]
        ready.put([s.sockets[0].getsockname()[1] for s in servers])
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


# ------------------------------------------------------------------ rounds through the workers

def run_round(runtime, workers, expected: int, timeout: float = 900.0  # type: ignore[no-untyped-def]
              ) -> dict[str, object]:
    """Make every enabled feed due, enqueue as the tick does, wait until each has been polled."""
    from sqlalchemy import func, select, update

    from newsletter.feeds.scheduler import enqueue_due_feeds
    from newsletter.models import Article, Feed, utcnow

    load_before = os.getloadavg()[0]
    cpu_before = workers.cpu_seconds()
    began_at = utcnow()
    began = time.perf_counter()
    with runtime.session() as session:  # from now on the workers' own tick may enqueue them too
        session.execute(update(Feed).where(Feed.disabled.is_(False))
                        .values(next_poll_at=began_at - timedelta(seconds=1)))
    queued = enqueue_due_feeds(runtime)
    done = 0
    while True:
        with runtime.session() as session:
            done = session.scalar(select(func.count()).select_from(Feed)
                                  .where(Feed.last_fetched_at >= began_at))
        if done >= expected:
            break
        if time.perf_counter() - began > timeout:
            raise SystemExit(f"only {done} of {expected} feeds polled after {timeout:.0f} s")
        time.sleep(0.1)
    seconds = time.perf_counter() - began
    cpu = workers.cpu_seconds() - cpu_before
    workers.sample()
    with runtime.session() as session:
        new = session.scalar(select(func.count()).select_from(Article)
                             .where(Article.first_seen_at >= began_at))
        updated = session.scalar(select(func.count()).select_from(Article).where(
            Article.updated_at >= began_at, Article.first_seen_at < began_at))
        statuses = dict(session.execute(select(Feed.status, func.count()).where(
            Feed.last_fetched_at >= began_at).group_by(Feed.status)).all())
    return {
        "feeds": done, "seconds": round(seconds, 2),
        "articles_per_s": round((new + updated) / seconds, 1),
        "new": new, "updated": updated, "queued": queued,
        "statuses": {str(getattr(k, "value", k)): v for k, v in sorted(statuses.items())},
        "worker_cpu_s": round(cpu, 2), "worker_cpu_ms_per_feed": round(1000 * cpu / done, 1),
        "load_avg": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hosts", type=int, default=20, help="loopback addresses serving feeds")
    opts = parser.parse_args()

    from sqlalchemy import func, select, update

    from bench.support.workers import Workers, worker_env
    from newsletter.feeds.catalog import add_feed
    from newsletter.migrate import upgrade
    from newsletter.models import Feed, Story, utcnow
    from newsletter.runtime import Runtime
    from tests.factories import make_topic
    from tests.support.services import PostgresDatabase, RedisDatabase

    ctx = multiprocessing.get_context("spawn")
    ready, round_flag = ctx.Queue(), ctx.Value("i", 1)
    server = ctx.Process(target=serve, args=(ready, round_flag, opts.feeds, opts.hosts),
                         daemon=True)
    server.start()
    database, redis_db = PostgresDatabase(), RedisDatabase()
    database_url = database.create()
    redis_url = redis_db.acquire()
    instance = Path(tempfile.mkdtemp(prefix="bench-feeds-"))
    workers = None
    try:
        upgrade(database_url)
        env = worker_env(database_url, redis_url, "smtp://127.0.0.1:1", instance / "workers",
                         SECRET, "https://news.example.test", "briefing@news.example.test")
        env["FEEDS_ALLOW_PRIVATE"] = "1"
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            from newsletter.config import Settings

            runtime = Runtime(Settings.from_env())
        finally:
            os.environ.clear()
            os.environ.update(saved)
        ports = ready.get(timeout=300)
        with runtime.session() as session:
            for t in range(TOPICS):
                make_topic(session, f"topic-{t}")
            for n in range(opts.feeds):
                host = f"127.0.0.{n % opts.hosts + 1}:{ports[n % opts.hosts]}"
                add_feed(session, f"topic-{n % TOPICS}", f"http://{host}/feed/{n}.xml", 30,
                         allow_private=True)
            # not due until a round says so: the workers' tick must not start before the clock
            session.execute(update(Feed).values(next_poll_at=utcnow() + timedelta(days=1)))
        workers = Workers(env, opts.workers, log_dir=instance / "workers")
        workers.start(redis_url)
        first = run_round(runtime, workers, opts.feeds)
        print(f"round 1: {first}", file=sys.stderr)
        round_flag.value = 2
        with runtime.session() as session:
            enabled = session.scalar(select(func.count()).select_from(Feed)
                                     .where(Feed.disabled.is_(False)))
        second = run_round(runtime, workers, enabled)
        print(f"round 2: {second}", file=sys.stderr)
        with runtime.session() as session:
            stories = session.scalar(select(func.count()).select_from(Story))
        runtime.engine.dispose()
        print(json.dumps({
            "feeds": first["feeds"], "seconds": first["seconds"],
            "articles_per_s": first["articles_per_s"],
            "worker_cpu_ms_per_feed": first["worker_cpu_ms_per_feed"],
            "new": first["new"], "statuses": first["statuses"],
            "round2": {k: second[k] for k in ("feeds", "seconds", "articles_per_s",
                                              "worker_cpu_ms_per_feed", "new", "updated",
                                              "statuses")},
            "workers": opts.workers, "stories": stories,
            "worker_peak_rss_mb": round(workers.peak_process_mb, 1),
            # the machine is shared: a 1-minute load above 2 means other work took CPU from us
            "load_avg": {"round1": first["load_avg"], "round2": second["load_avg"]},
        }))
    finally:
        if workers is not None:
            workers.stop()
        server.terminate()
        database.drop()
        redis_db.release()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
