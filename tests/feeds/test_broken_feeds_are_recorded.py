"""Broken, mis-encoded, oversized, slow and non-feed responses are recorded on the Feed."""

from __future__ import annotations

from newsletter.models import FeedStatus

from .helpers import articles, feed_for, poll
from .samples import Item, items, rss2
from .server import Route


def test_bozo_feed_with_entries_is_still_read(db, topic, settings, feed_server):
    broken = rss2(items(3)).replace(b"</channel></rss>", b"<item><title>cut off")  # never closed
    feed = feed_for(db, feed_server.add("/bozo.xml", Route(broken)))
    result = poll(db, feed, settings)
    assert (result.status, result.new) == (FeedStatus.OK, 3)
    assert feed.last_error.startswith("Warning: Feed is not well-formed")


def test_wrong_declared_charset_is_survived(db, topic, settings, feed_server):
    body = rss2([Item("Überraschung in Köln", "https://example.de/a", guid="a")],
                encoding="utf-8", declared="iso-8859-1")
    feed = feed_for(db, feed_server.add("/charset.xml", Route(
        body, content_type="application/rss+xml; charset=windows-1252")))
    result = poll(db, feed, settings)
    assert result.status == FeedStatus.OK and result.new == 1
    assert "K" in articles(db, feed)[0].title  # decoded to text, not an exception


def test_html_page_instead_of_feed_is_an_error(db, topic, settings, feed_server):
    feed = feed_for(db, feed_server.add("/page.html", Route(
        b"<html><body><h1>Welcome</h1></body></html>", content_type="text/html")))
    result = poll(db, feed, settings)
    assert result.status == FeedStatus.ERROR
    assert feed.status == FeedStatus.ERROR and feed.failures == 1
    assert "Not a readable feed" in feed.last_error and feed.next_poll_at is not None


def test_huge_response_is_cut_off_and_recorded(db, topic, settings, feed_server):
    huge = rss2(items(1)).replace(b"<description>Fixture</description>",
                                  b"<description>" + b"x" * (300 * 1024) + b"</description>")
    feed = feed_for(db, feed_server.add("/huge.xml", Route(huge)))
    result = poll(db, feed, settings)
    assert result.status == FeedStatus.ERROR and "larger than" in result.error
    assert articles(db, feed) == [] and feed.failures == 1


def test_huge_response_without_length_is_cut_off_while_streaming(db, topic, settings, feed_server):
    from newsletter.feeds.fetch import fetch
    from newsletter.feeds.settings import FeedSettings

    fs = FeedSettings.from_settings(settings)
    body = b"<rss>" + b"y" * (fs.max_bytes + 10)

    feed_server.add("/stream.xml", Route(body, chunked=True))
    result = fetch(feed_server.url("/stream.xml"), fs)
    assert result.error and "larger than" in result.error and result.content is None


def test_slow_response_times_out_and_is_recorded(db, topic, settings, feed_server):
    feed = feed_for(db, feed_server.add("/slow.xml", Route(rss2(items(1)), delay=2.0)))
    result = poll(db, feed, settings)
    assert result.status == FeedStatus.ERROR and "Timed out" in result.error
    assert feed.failures == 1 and articles(db, feed) == []


def test_one_bad_feed_does_not_stop_the_next(db, topic, settings, feed_server):
    bad = feed_for(db, feed_server.add("/bad.xml", Route(b"\x00\x01garbage", status=200)))
    good = feed_for(db, feed_server.add("/good.xml", Route(rss2(items(2)))))
    assert poll(db, bad, settings).status == FeedStatus.ERROR
    assert poll(db, good, settings).new == 2


def test_unexpected_fetch_failure_is_recorded_not_raised(db, topic, settings):
    import httpx

    def explode(request):
        raise RuntimeError("transport bug")

    feed = feed_for(db, "http://93.184.215.14/feed.xml")
    with httpx.Client(transport=httpx.MockTransport(explode)) as client:
        result = poll(db, feed, settings, client=client)
    assert result.status == FeedStatus.ERROR and "RuntimeError" in result.error
    assert feed.failures == 1 and feed.status == FeedStatus.ERROR


def test_missing_encoding_everywhere_is_survived(db, topic, settings, feed_server):
    body = ("<rss version=\"2.0\"><channel><title>Sans déclaration</title>"
            "<link>https://example.fr/</link><item><title>Élection à Zürich</title>"
            "<link>https://example.fr/a</link></item></channel></rss>").encode()
    feed = feed_for(db, feed_server.add("/noenc.xml", Route(body, content_type="text/xml")))
    result = poll(db, feed, settings)
    assert result.status == FeedStatus.OK and result.new == 1
    assert articles(db, feed)[0].title == "Élection à Zürich"
