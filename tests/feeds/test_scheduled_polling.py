"""The tick queues due feeds for batch jobs, a lock keeps a feed from polling twice at once,
and a real RQ worker runs the jobs."""

from __future__ import annotations

from datetime import timedelta

from newsletter import keys
from newsletter.feeds import locks, scheduler
from newsletter.feeds.jobs import locked_poll
from newsletter.jobs import tick
from newsletter.models import Feed, FeedStatus, utcnow

from .helpers import articles, feed_for
from .samples import items, rss2
from .server import Route


def test_tick_queues_due_feeds_for_one_batch_job(db, topic, runtime, feed_server):
    due = [feed_for(db, feed_server.add(f"/due{n}.xml", Route(rss2(items(1))))) for n in range(3)]
    later = feed_for(db, feed_server.add("/later.xml", Route(rss2(items(1)))))
    later.next_poll_at = utcnow() + timedelta(hours=1)
    db.commit()
    assert scheduler.enqueue_due_feeds(runtime) == 3
    queued = [raw.decode().split(":")[0] for raw in runtime.redis.lrange(keys.FEEDS_DUE, 0, -1)]
    assert queued == [str(f.id) for f in due]
    assert [job.func_name.rsplit(".", 1)[1] for job in runtime.queue.jobs] == ["poll_due_job"]


def test_a_queued_feed_is_not_enqueued_again(db, topic, runtime, feed_server):
    feed_for(db, feed_server.add("/once.xml", Route(rss2(items(1)))))
    assert scheduler.enqueue_due_feeds(runtime) == 1
    assert scheduler.enqueue_due_feeds(runtime) == 0
    assert len(runtime.queue.jobs) == 1


def test_a_locked_feed_is_not_polled_by_a_second_caller(db, topic, runtime, feed_server):
    feed = feed_for(db, feed_server.add("/locked.xml", Route(rss2(items(1)))))
    token = locks.acquire(runtime.redis, feed.id, 60)
    assert token and locked_poll(runtime, feed.id) is None
    assert feed_server.hits("/locked.xml") == []
    locks.release(runtime.redis, feed.id, token)
    assert locked_poll(runtime, feed.id).new == 1


def test_disabled_feeds_are_not_due(db, topic, runtime, feed_server):
    feed = feed_for(db, feed_server.add("/off.xml", Route(rss2(items(1)))))
    feed.disabled = True
    db.commit()
    assert scheduler.enqueue_due_feeds(runtime) == 0


def test_worker_polls_due_feeds_and_a_dead_feed_does_not_block_others(db, topic, runtime,
                                                                      feed_server, work):
    dead = feed_for(db, feed_server.add("/dead.xml", Route(rss2(items(1)), delay=2.0)))
    alive = feed_for(db, feed_server.add("/alive.xml", Route(rss2(items(3)))))
    tick()
    work()
    db.expire_all()
    assert db.get(Feed, dead.id).status == FeedStatus.ERROR
    assert db.get(Feed, alive.id).status == FeedStatus.OK
    assert len(articles(db, alive)) == 3
    assert locks.get_progress(runtime.redis, alive.id)["state"] == "done"
    assert runtime.redis.get(keys.feed_lock(alive.id)) is None
    assert scheduler.enqueue_due_feeds(runtime) == 0  # both now wait for their next attempt


def test_a_feed_polled_between_the_due_query_and_its_lock_is_not_queued_again(
        db, topic, runtime, feed_server):
    feed = feed_for(db, feed_server.add("/raced.xml", Route(rss2(items(1)))))
    with runtime.Session() as session:
        due = scheduler.due_feed_ids(session, utcnow())  # the tick reads what is due...
    assert due == [feed.id]
    assert locked_poll(runtime, feed.id).new == 1  # ...a worker polls it and unlocks...
    assert scheduler.enqueue_due(runtime, due) == 0  # ...and the tick's lock comes after
    assert runtime.redis.llen(keys.FEEDS_DUE) == 0 and runtime.queue.jobs == []
    assert runtime.redis.get(keys.feed_lock(feed.id)) is None
    assert locks.get_progress(runtime.redis, feed.id)["state"] == "done"
    assert len(feed_server.hits("/raced.xml")) == 1
