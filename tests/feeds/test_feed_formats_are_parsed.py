"""RSS 0.91, RSS 1.0, RSS 2.0 and Atom served over HTTP all become articles with derived fields."""

from __future__ import annotations

from datetime import UTC, datetime

from newsletter.models import FeedStatus

from .helpers import articles, feed_for, poll
from .samples import Item, atom, items, rss091, rss1, rss2
from .server import Route


def test_rss2_entries_become_articles(db, topic, settings, feed_server):
    url = feed_server.add("/rss2.xml", Route(rss2(items(5))))
    feed = feed_for(db, url)
    result = poll(db, feed, settings)
    assert (result.status, result.new, result.updated, result.error) == (FeedStatus.OK, 5, 0, None)
    stored = articles(db, feed)
    assert [a.title for a in stored] == [f"Fixture headline number {k}" for k in range(5)]
    assert stored[0].outlet == "Example Times"
    assert stored[0].published_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert stored[0].summary == "<p>Body of story 0 with <b>bold</b> text.</p>"
    assert feed.entries_found == 5 and feed.title == "Example Times"


def test_atom_entries_become_articles(db, topic, settings, feed_server):
    url = feed_server.add("/atom.xml", Route(atom(items(3)), content_type="application/atom+xml"))
    feed = feed_for(db, url)
    assert poll(db, feed, settings).new == 3
    assert {a.outlet for a in articles(db, feed)} == {"Atom Daily"}


def test_rss1_rdf_entries_become_articles(db, topic, settings, feed_server):
    url = feed_server.add("/rss1.rdf", Route(rss1(items(4)), content_type="application/rdf+xml"))
    feed = feed_for(db, url)
    assert poll(db, feed, settings).new == 4
    assert articles(db, feed)[1].published_at == datetime(2026, 3, 1, 12, 1, tzinfo=UTC)


def test_rss091_latin1_entries_become_articles(db, topic, settings, feed_server):
    feed_items = [Item("Café prices rise in Zürich", "https://gazette.example/cafe", summary="Ça va")]
    url = feed_server.add("/rss091.xml", Route(rss091(feed_items), content_type="text/xml"))
    feed = feed_for(db, url)
    assert poll(db, feed, settings).new == 1
    assert articles(db, feed)[0].title == "Café prices rise in Zürich"


def test_missing_dates_fall_back_to_first_seen_time(db, topic, settings, feed_server):
    url = feed_server.add("/nodates.xml", Route(rss2(items(2, published=False))))
    feed = feed_for(db, url)
    seen = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    poll(db, feed, settings, now=seen)
    assert [a.published_at for a in articles(db, feed)] == [seen, seen]


def test_entries_without_guid_fall_back_to_link_then_content_hash(db, topic, settings, feed_server):
    linked = Item("Linked only", "https://example.com/linked")
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            b"<link>https://example.com/</link>"
            b"<item><title>No link no guid</title><description>text</description></item>"
            b"</channel></rss>")
    feed = feed_for(db, feed_server.add("/noguid.xml", Route(rss2([linked]))))
    poll(db, feed, settings)
    assert articles(db, feed)[0].guid == "https://example.com/linked"
    from newsletter.feeds.parse import parse_feed
    parsed = parse_feed(body)
    assert parsed.entries == [] and parsed.skipped == 1  # no link: nothing to send readers to


def test_derived_image_and_reading_time(db, topic, settings, feed_server):
    long_text = "<p>" + " ".join(["word"] * 700) + "</p>"
    feed_items = [Item("Long read", "https://example.com/long", guid="g1", summary=long_text,
                       image="https://img.example.com/a.jpg"),
                  Item("Short", "https://example.com/short", guid="g2",
                       summary='<p>Hi <img src="https://img.example.com/b.png"></p>')]
    feed = feed_for(db, feed_server.add("/derived.xml", Route(rss2(feed_items))))
    poll(db, feed, settings)
    long, short = articles(db, feed)
    assert (long.image_url, long.reading_minutes) == ("https://img.example.com/a.jpg", 4)
    assert (short.image_url, short.reading_minutes) == ("https://img.example.com/b.png", 1)


def test_outlet_falls_back_to_site_host(db, topic, settings, feed_server):
    feed = feed_for(db, feed_server.add("/untitled.xml", Route(rss2(
        items(1), title="", link="https://www.untitled-news.example/"))))
    poll(db, feed, settings)
    assert articles(db, feed)[0].outlet == "untitled-news.example"
