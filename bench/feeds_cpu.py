"""Worker CPU per feed of the poll path, in one process: bench/feeds.py's feeds, no HTTP.

    .venv/bin/python bench/feeds_cpu.py                 # 300 feeds, round 1 (all entries new)
    .venv/bin/python bench/feeds_cpu.py --profile 15    # and cProfile's top 15 (own time)

Each feed's bytes (the same RSS bench/feeds.py serves, so the same 20 topics and events) go
through what a worker runs after the fetch: `service._record` (parse, article lookups, story
grouping, the insert) and its commit, on a throwaway PostgreSQL database, one feed after
another. CPU time of this process only (time.process_time), far less sensitive to the
shared machine's load than wall time; PostgreSQL's own CPU is left out, so the number of
SQL statements per feed is counted too. The fetch, the feed lock and the job's threads are
not in it: bench/feeds.py measures those through real workers.

Ends with one JSON line: {"feeds", "entries", "cpu_ms_per_feed", "cpu_ms_per_entry",
"sql_per_feed", "stored_digest", "load"}; stored_digest hashes every stored article column
that matters and which articles share a story, so the same corpus polled by two versions of
the code must print the same digest.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.feeds import TOPICS, feed_body, kind  # noqa: E402


def stored_digest(session) -> str:  # type: ignore[no-untyped-def]  # noqa: ANN001
    """One hash over every stored column that matters and the story partition: two code paths
    that store the same thing print the same digest (ids and first-seen times aside)."""
    from sqlalchemy import select

    from newsletter.models import Article

    rows = session.execute(select(
        Article.feed_id, Article.guid, Article.url, Article.canonical_url, Article.title,
        Article.outlet, Article.summary, Article.image_url, Article.reading_minutes,
        Article.content_hash, Article.terms, Article.published_at, Article.story_id,
    ).order_by(Article.feed_id, Article.guid)).all()
    members: dict[int | None, list[str]] = {}
    for row in rows:
        members.setdefault(row.story_id, []).append(f"{row.feed_id}/{row.guid}")
    story_key = {sid: min(m) for sid, m in members.items()}
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr((*row[:-1], story_key[row.story_id])).encode())
    return digest.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumtime)")
    opts = parser.parse_args()

    from sqlalchemy import create_engine, event, func, select
    from sqlalchemy.orm import sessionmaker

    from newsletter.feeds.catalog import add_feed
    from newsletter.feeds.fetch import FetchResult
    from newsletter.feeds.service import _record
    from newsletter.feeds.settings import FeedSettings
    from newsletter.migrate import upgrade
    from newsletter.models import Article, Story
    from tests.factories import make_topic
    from tests.support.services import PostgresDatabase

    database = PostgresDatabase()
    url = database.create()
    engine = None
    try:
        upgrade(url)
        engine = create_engine(url)
        statements = [0]
        event.listen(engine, "before_cursor_execute",
                     lambda *_a, **_k: statements.__setitem__(0, statements[0] + 1))
        Session = sessionmaker(engine, expire_on_commit=False)  # noqa: N806
        polled = [n for n in range(opts.feeds) if kind(n) in ("ok", "slow", "hang")]
        ids: dict[int, int] = {}
        with Session() as session:
            for t in range(TOPICS):
                make_topic(session, f"topic-{t}")
            for n in polled:
                ids[n] = add_feed(session, f"topic-{n % TOPICS}",
                                  f"http://127.0.0.{n % 20 + 1}/feed/{n}.xml", 30,
                                  allow_private=True).id
            session.commit()
        bodies = {n: feed_body(n, 1) for n in polled}
        fs = FeedSettings(allow_private=True)
        now = datetime(2026, 8, 2, 6, 0, tzinfo=UTC)
        load = os.getloadavg()[0]
        profile = cProfile.Profile(time.process_time) if opts.profile else None
        statements[0] = 0
        cpu = time.process_time()
        for n in polled:
            fetched = FetchResult(status_code=200, content=bodies[n],
                                  content_type="application/rss+xml; charset=utf-8",
                                  etag=f'"v1-{n}"', final_url=f"http://127.0.0.{n % 20 + 1}/feed/{n}.xml")
            if profile is not None:
                profile.enable()
            with Session() as session:
                _record(session, ids[n], fs, fetched, now)
                session.commit()
            if profile is not None:
                profile.disable()
        cpu = time.process_time() - cpu
        sql = statements[0]
        with Session() as session:
            entries = session.scalar(select(func.count()).select_from(Article))
            stories = session.scalar(select(func.count()).select_from(Story))
            digest = stored_digest(session)
        if profile is not None:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(opts.sort).print_stats(opts.profile)
            print(out.getvalue(), file=sys.stderr)
        print(json.dumps({
            "feeds": len(polled), "entries": entries, "stories": stories,
            "cpu_ms_per_feed": round(1000 * cpu / len(polled), 2),
            "cpu_ms_per_entry": round(1000 * cpu / max(1, entries), 3),
            "sql_per_feed": round(sql / len(polled), 1), "profiled": bool(profile),
            "stored_digest": digest,
            "load": [round(load, 1), round(os.getloadavg()[0], 1)],
        }))
    finally:
        if engine is not None:
            engine.dispose()
        database.drop()


if __name__ == "__main__":
    main()
