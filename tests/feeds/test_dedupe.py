"""One article per (feed, guid) and per canonical URL in a topic; edits update, never duplicate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsletter.feeds.urls import canonical_url

from .helpers import articles, feed_for, poll
from .samples import Item, rss2
from .server import Route

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("a", "b"), [
    ("https://www.Example.com/a/story?utm_source=x&utm_medium=rss#top",
     "http://example.com/a/story/"),
    ("https://example.com/s?id=4&fbclid=abc&gclid=1", "https://example.com:443/s?id=4"),
    ("https://example.com/s?b=2&a=1&mc_cid=9", "https://EXAMPLE.com/s?a=1&b=2"),
])
def test_tracking_variants_share_a_canonical_url(a, b):
    assert canonical_url(a) == canonical_url(b)


def test_distinct_query_parameters_stay_distinct():
    assert canonical_url("https://example.com/s?id=4") != canonical_url("https://example.com/s?id=5")


def test_rotated_guid_and_tracking_params_across_two_feeds_give_one_article(db, topic, settings,
                                                                            feed_server):
    first = Item("Glacier melt hits record", "https://news.example/glacier?utm_source=rss",
                 guid="guid-1", summary="First telling.", published=WHEN)
    rotated = Item("Glacier melt hits record", "https://www.news.example/glacier?utm_campaign=x",
                   guid="guid-ROTATED", summary="First telling.", published=WHEN)
    feed_a = feed_for(db, feed_server.add("/a.xml", Route(rss2([first], title="Outlet A"))))
    feed_b = feed_for(db, feed_server.add("/b.xml", Route(rss2([rotated], title="Outlet B"))))
    assert poll(db, feed_a, settings).new == 1
    assert poll(db, feed_b, settings).new == 0
    feed_server.add("/a.xml", Route(rss2([rotated], title="Outlet A")))  # A rotates its GUID too
    result = poll(db, feed_a, settings)
    assert (result.new, result.updated) == (0, 1)
    (article,) = articles(db)
    assert article.feed_id == feed_a.id and article.outlet == "Outlet A"
    assert article.url == "https://www.news.example/glacier"  # tracking stripped from the link


def test_edited_entry_updates_the_article(db, topic, settings, feed_server):
    original = Item("Draft headline", "https://news.example/edit", guid="e1", summary="Old text.",
                    published=WHEN)
    edited = Item("Corrected headline", "https://news.example/edit", guid="e1",
                  summary="New text, corrected.", published=WHEN)
    feed = feed_for(db, feed_server.add("/edit.xml", Route(rss2([original]))))
    poll(db, feed, settings)
    (before,) = articles(db, feed)
    feed_server.add("/edit.xml", Route(rss2([edited])))
    result = poll(db, feed, settings)
    assert (result.new, result.updated) == (0, 1)
    (after,) = articles(db, feed)
    assert after.id == before.id
    assert (after.title, after.summary) == ("Corrected headline", "New text, corrected.")
    assert after.updated_at is not None and after.story_id == before.story_id


def test_unchanged_entry_is_neither_new_nor_updated(db, topic, settings, feed_server):
    feed = feed_for(db, feed_server.add("/same.xml", Route(rss2([
        Item("Same", "https://news.example/same", guid="s1", published=WHEN)]))))
    poll(db, feed, settings)
    result = poll(db, feed, settings)
    assert (result.new, result.updated) == (0, 0) and len(articles(db)) == 1


def test_same_url_in_two_topics_is_kept_once_per_topic(db, topic, settings, feed_server):
    from tests.factories import make_topic

    make_topic(db, "oceans")
    db.commit()
    body = rss2([Item("Shared", "https://news.example/shared", guid="sh")])
    poll(db, feed_for(db, feed_server.add("/t1.xml", Route(body))), settings)
    poll(db, feed_for(db, feed_server.add("/t2.xml", Route(body)), topic="oceans"), settings)
    assert len({a.topic_id for a in articles(db)}) == 2
