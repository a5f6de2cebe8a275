"""Many feeds in one job: fetched concurrently, each under its own limits, none able to stop
the others, with the same outcome as polling them one by one."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import select

from newsletter import keys
from newsletter.feeds import grouping, scheduler, store
from newsletter.feeds.jobs import poll_batch
from newsletter.feeds.parse import parse_feed
from newsletter.feeds.service import poll_feed
from newsletter.models import Article, Feed, FeedStatus, Story, utcnow
from tests.factories import make_topic

from .helpers import articles, feed_for
from .samples import Item, items, rss2
from .server import Route


def _huge() -> bytes:
    return rss2(items(1)).replace(b"<description>Fixture</description>",
                                  b"<description>" + b"x" * (300 * 1024) + b"</description>")


def test_each_feed_of_a_batch_keeps_its_own_limits(db, topic, runtime, feed_server,
                                                   feed_settings):
    good = [feed_for(db, feed_server.add(f"/good{n}.xml", Route(rss2(items(3, f"https://g{n}.example/")))))
            for n in range(3)]
    huge = feed_for(db, feed_server.add("/huge.xml", Route(_huge())))
    streamed = feed_for(db, feed_server.add("/streamed.xml", Route(_huge(), chunked=True)))
    slow = feed_for(db, feed_server.add("/slow.xml", Route(rss2(items(1)), delay=1.5)))
    feed_server.add("/loop-a.xml", Route(status=302, headers={"Location": "/loop-b.xml"}))
    loop = feed_for(db, feed_server.add("/loop-b.xml",
                                        Route(status=302, headers={"Location": "/loop-a.xml"})))
    hops = feed_for(db, feed_server.add("/hop0.xml", Route(status=301,
                                                           headers={"Location": "/hop1.xml"})))
    for n in range(1, 8):
        feed_server.add(f"/hop{n}.xml", Route(status=301, headers={"Location": f"/hop{n + 1}.xml"}))
    feeds = [*good, huge, streamed, slow, loop, hops]
    fs = dataclasses.replace(feed_settings, concurrency=8, max_redirects=3)
    results = {r["feed_id"]: r for r in poll_batch(runtime, [f.id for f in feeds], settings=fs)}
    db.expire_all()
    assert [results[f.id]["status"] for f in good] == [FeedStatus.OK] * 3
    assert all(len(articles(db, f)) == 3 for f in good)
    assert "larger than" in results[huge.id]["error"]
    assert "larger than" in results[streamed.id]["error"]
    assert "Timed out" in results[slow.id]["error"]
    assert results[loop.id]["error"] == "Redirect loop."
    assert results[hops.id]["error"] == "More than 3 redirects."
    assert feed_server.hits("/hop4.xml") == []  # the fourth redirect was never followed
    for feed in (huge, streamed, slow, loop, hops):
        assert db.get(Feed, feed.id).status == FeedStatus.ERROR
        assert db.get(Feed, feed.id).failures == 1
    assert all(runtime.redis.get(keys.feed_lock(f.id)) is None for f in feeds)


def test_the_guard_refuses_private_addresses_for_every_feed_of_a_batch(db, topic, runtime,
                                                                       feed_server, feed_settings):
    feeds = [feed_for(db, feed_server.add(f"/private{n}.xml", Route(rss2(items(1)))))
             for n in range(3)]
    strict = dataclasses.replace(feed_settings, allow_private=False)
    results = poll_batch(runtime, [f.id for f in feeds], settings=strict)
    assert all("private or reserved" in r["error"] for r in results)
    assert feed_server.requests == []  # no connection reached the loopback server


def test_at_most_per_host_fetches_at_once_to_one_host(db, topic, runtime, feed_server,
                                                     feed_settings):
    feeds = []
    for host in ("127.0.0.1", "localhost"):
        for n in range(4):
            path = feed_server.add(f"/{host}-{n}.xml", Route(rss2(items(1, f"https://{host}{n}.example/")),
                                                             delay=0.4))
            feeds.append(feed_for(db, path.replace("127.0.0.1", host)))
    fs = dataclasses.replace(feed_settings, concurrency=8, per_host=2, read_timeout=10.0,
                             total_timeout=30.0)
    results = poll_batch(runtime, [f.id for f in feeds], settings=fs)
    assert [r["status"] for r in results] == [FeedStatus.OK] * 8
    assert set(feed_server.peak) == {"127.0.0.1", "localhost"}
    assert max(feed_server.peak.values()) <= 2


def test_a_broken_feed_does_not_stop_the_others_of_its_batch(db, topic, runtime, feed_server):
    first = feed_for(db, feed_server.add("/first.xml", Route(rss2(items(2, "https://f.example/")))))
    gone = feed_for(db, feed_server.add("/gone.xml", Route(b"gone", status=410)))
    page = feed_for(db, feed_server.add("/page.html", Route(b"<html><p>moved</p></html>",
                                                            content_type="text/html")))
    error = feed_for(db, feed_server.add("/error.xml", Route(b"oops", status=500)))
    deleted = feed_for(db, feed_server.add("/deleted.xml", Route(rss2(items(1)))))
    last = feed_for(db, feed_server.add("/last.xml", Route(rss2(items(2, "https://l.example/")))))
    deleted_id = deleted.id
    db.delete(deleted)
    db.commit()
    results = poll_batch(runtime, [first.id, gone.id, page.id, deleted_id, error.id, last.id])
    assert [r["status"] for r in results] == [FeedStatus.OK, FeedStatus.GONE, FeedStatus.ERROR,
                                             "missing", FeedStatus.ERROR, FeedStatus.OK]
    assert "Not a readable feed" in results[2]["error"] and results[4]["error"] == "HTTP 500."
    assert len(articles(db, first)) == 2 and len(articles(db, last)) == 2
    assert db.get(Feed, gone.id).disabled


def test_a_due_job_takes_every_queued_feed_through_a_worker(db, topic, runtime, feed_server,
                                                           work):
    feeds = [feed_for(db, feed_server.add(f"/due{n}.xml", Route(rss2(items(2, f"https://d{n}.example/")))))
             for n in range(5)]
    feeds.append(feed_for(db, feed_server.add("/down.xml", Route(b"down", status=503))))
    assert scheduler.enqueue_due_feeds(runtime) == 6
    work()
    db.expire_all()
    assert [db.get(Feed, f.id).status for f in feeds] == [FeedStatus.OK] * 5 + [FeedStatus.ERROR]
    assert runtime.redis.llen(keys.FEEDS_DUE) == 0
    assert all(runtime.redis.get(keys.feed_lock(f.id)) is None for f in feeds)
    assert scheduler.enqueue_due_feeds(runtime) == 0


# ------------------------------------------------------------------ same outcome as one by one

STORIES = ["Glacier melt speeds up in the Alps", "Wildfire forces evacuation of coastal town",
           "Court rules on river water rights"]


def _feed_items(n: int, version: int) -> list[Item]:
    out = []
    for k in range(6):
        story = STORIES[k % 3]
        edited = " (updated)" if version == 2 and k == 0 else ""
        out.append(Item(f"{story}: outlet {n} report {k}", f"https://o{n}.example/{k}?utm_source=x",
                        guid=f"{n}-{k}", summary=f"<p>{story}. Details from outlet {n}{edited}.</p>",
                        published=datetime(2026, 3, 1, 8, k, tzinfo=UTC),
                        image=f"https://img.o{n}.example/{k}.jpg"))
    if version == 2:
        out.append(Item(f"{STORIES[0]}: outlet {n} follow-up", f"https://o{n}.example/new",
                        guid=f"{n}-new", summary=f"<p>{STORIES[0]}, later.</p>",
                        published=datetime(2026, 3, 1, 9, 0, tzinfo=UTC)))
    return out


def _snapshot(db, feed_ids: list[int]) -> list[object]:
    """Everything a poll writes, without ids or times (which must differ between the runs)."""
    db.expire_all()
    rows = []
    for feed_id in feed_ids:
        feed = db.get(Feed, feed_id)
        stored = list(db.scalars(select(Article).where(Article.feed_id == feed_id)
                                 .order_by(Article.guid)))
        by_story: dict[int, list[str]] = {}
        for a in stored:
            by_story.setdefault(a.story_id, []).append(a.guid)
        rows.append((feed.status, feed.etag, feed.last_error, feed.entries_found, feed.failures,
                     feed.title, feed.disabled,
                     [(a.guid, a.url, a.canonical_url, a.title, a.outlet, a.summary, a.image_url,
                       a.reading_minutes, a.content_hash, a.terms, a.published_at)
                      for a in stored],
                     sorted(by_story.values())))
    return rows


def test_a_batch_writes_what_polling_one_by_one_wrote(db, runtime, feed_server, settings,
                                                      monkeypatch):
    version = {"n": 1}

    def route(n: int):  # noqa: ANN202
        def answer(headers: dict[str, str]) -> Route:
            etag = f'"{n}-v{version["n"]}"' if n % 2 else f'"{n}-v1"'
            if headers.get("if-none-match") == etag:
                return Route(status=304, headers={"ETag": etag})
            body = rss2(_feed_items(n, version["n"] if n % 2 else 1), title=f"Outlet {n}")
            return Route(body, headers={"ETag": etag})
        return answer

    for n in range(4):
        feed_server.add(f"/same{n}.xml", route(n))
    feed_server.add("/broken.xml", Route(b"<html>no feed</html>", content_type="text/html"))
    paths = [f"/same{n}.xml" for n in range(4)] + ["/broken.xml"]
    one_by_one, batched = [], []
    for k, path in enumerate(paths):  # one topic per feed: grouping never depends on order
        make_topic(db, f"a-{k}")
        make_topic(db, f"b-{k}")
        db.commit()
        one_by_one.append(feed_for(db, feed_server.url(path), topic=f"a-{k}").id)
        batched.append(feed_for(db, feed_server.url(path), topic=f"b-{k}").id)
    for round_ in (1, 2):
        version["n"] = round_
        with monkeypatch.context() as m:
            m.setattr(store, "_UPSERT", {})  # the reference: the ORM insert of one feed at a time
            for feed_id in one_by_one:
                with runtime.Session() as session:
                    poll_feed(session, feed_id, settings)
        poll_batch(runtime, batched)
        assert _snapshot(db, one_by_one) == _snapshot(db, batched)
    statuses = [row[0] for row in _snapshot(db, batched)]
    assert statuses == [FeedStatus.NOT_MODIFIED, FeedStatus.OK, FeedStatus.NOT_MODIFIED,
                        FeedStatus.OK, FeedStatus.ERROR]
    assert db.scalar(select(Story.id).limit(1)) is not None


def test_an_article_that_another_poll_inserted_first_is_a_duplicate(db, topic, feed_server):
    feed = feed_for(db, feed_server.add("/race.xml", Route(b"")))
    parsed = parse_feed(rss2(items(3, "https://race.example/")), base_url="https://race.example/")
    now = utcnow()
    stored = store.store_entries(db, feed, parsed, now)  # looked up: all three are new
    rival = feed_for(db, feed_server.add("/rival.xml", Route(b"")))
    db.add(Article(feed_id=rival.id, topic_id=topic.id, guid="rival-1", url="https://race.example/1",
                   canonical_url=stored.new[1].canonical_url, title="Rival", terms="rival"))
    db.flush()  # another poll's row with the same canonical URL, inserted meanwhile
    grouping.assign(db, topic.id, stored.new, now=now)
    store.insert_new(db, stored)
    db.commit()
    assert [a.guid for a in stored.new] == ["id-0", "id-2"] and stored.duplicates == 1
    assert sorted(a.guid for a in articles(db, feed)) == ["id-0", "id-2"]
