"""Many feeds of one topic polled at the same time (as several workers do) all succeed:
no deadlock between their article inserts and the per-topic grouping lock, no twin articles."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from newsletter.feeds.jobs import locked_poll

from .helpers import articles, feed_for
from .samples import Item, rss2
from .server import Route


def test_concurrent_polls_of_one_topic_all_succeed(db, topic, runtime, feed_server):
    feeds = []
    for n in range(8):
        shared = Item("Shared wire story on glacier melt", "https://wire.example/glacier",
                      guid=f"wire-{n}", summary="Glacier melt accelerates, wire report says.")
        own = [Item(f"Outlet {n} glacier melt story {k}", f"https://o{n}.example/{k}",
                    guid=f"{n}-{k}", summary=f"Glacier melt report {k} from outlet {n}.")
               for k in range(25)]
        feeds.append(feed_for(db, feed_server.add(f"/c{n}.xml", Route(rss2([shared, *own],
                                                                            title=f"O{n}")))))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda f: locked_poll(runtime, f.id), feeds))
    assert [r.status for r in results] == ["ok"] * 8, [r.error for r in results]
    stored = articles(db)
    assert len(stored) == 8 * 25 + 1  # the wire story carried by all eight is stored once
    assert all(a.story_id is not None for a in stored)
