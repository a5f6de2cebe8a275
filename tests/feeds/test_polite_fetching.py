"""Conditional GET, 304 without parsing, 410 disables, Retry-After and exponential backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsletter.feeds.fetch import retry_after_seconds
from newsletter.models import FeedStatus

from .helpers import feed_for, poll
from .samples import items, rss2
from .server import Route

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_user_agent_names_the_service(db, topic, settings, feed_server):
    feed = feed_for(db, feed_server.add("/ua.xml", Route(rss2(items(1)))))
    poll(db, feed, settings)
    assert "TheBriefing-FeedFetcher" in feed_server.hits("/ua.xml")[0].headers["user-agent"]


def test_etag_and_last_modified_are_sent_back_and_304_is_not_parsed(db, topic, settings,
                                                                     feed_server):
    def conditional(headers):
        if headers.get("if-none-match") == '"v1"':
            return Route(b"this is not xml and would fail to parse", status=304)
        return Route(rss2(items(2)), headers={"ETag": '"v1"',
                                              "Last-Modified": "Mon, 01 Jun 2026 10:00:00 GMT"})

    feed = feed_for(db, feed_server.add("/etag.xml", conditional))
    assert poll(db, feed, settings, now=NOW).new == 2
    second = poll(db, feed, settings, now=NOW + timedelta(minutes=30))
    assert (second.status, second.new, second.error) == (FeedStatus.NOT_MODIFIED, 0, None)
    sent = feed_server.hits("/etag.xml")[1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 01 Jun 2026 10:00:00 GMT"
    assert feed.status == FeedStatus.NOT_MODIFIED and feed.failures == 0
    assert feed.next_poll_at == NOW + timedelta(minutes=60)


def test_410_gone_disables_the_feed(db, topic, settings, feed_server):
    feed = feed_for(db, feed_server.add("/gone.xml", Route(b"gone", status=410)))
    result = poll(db, feed, settings)
    assert result.status == FeedStatus.GONE
    assert feed.disabled and feed.status == FeedStatus.GONE and "410" in feed.last_error
    again = poll(db, feed, settings)
    assert again.status == "disabled" and len(feed_server.hits("/gone.xml")) == 1


def test_429_retry_after_sets_the_next_attempt(db, topic, settings, feed_server):
    feed = feed_for(db, feed_server.add("/busy.xml", Route(b"", status=429,
                                                           headers={"Retry-After": "7200"})),
                    poll_minutes=1)
    result = poll(db, feed, settings, now=NOW)
    assert result.status == FeedStatus.ERROR and "429" in result.error
    assert feed.next_poll_at == NOW + timedelta(seconds=7200)


def test_503_retry_after_http_date_is_honoured():
    later = "Mon, 01 Jun 2026 13:00:00 GMT"
    assert retry_after_seconds(later, NOW) == 3600
    assert retry_after_seconds("soon", NOW) is None


def test_repeated_failures_back_off_exponentially(db, topic, settings, feed_server):
    feed = feed_for(db, feed_server.add("/down.xml", Route(b"", status=500)), poll_minutes=10)
    delays = []
    for _ in range(4):
        poll(db, feed, settings, now=NOW)
        delays.append(feed.next_poll_at - NOW)
    assert delays == [timedelta(minutes=m) for m in (20, 40, 80, 160)]
    assert feed.failures == 4 and feed.last_error == "HTTP 500."


def test_success_resets_the_failure_count(db, topic, settings, feed_server):
    state = {"up": False}
    feed_server.add("/flaky.xml", lambda h: Route(rss2(items(1))) if state["up"]
                    else Route(b"", status=502))
    feed = feed_for(db, feed_server.url("/flaky.xml"))
    poll(db, feed, settings, now=NOW)
    state["up"] = True
    poll(db, feed, settings, now=NOW)
    assert (feed.failures, feed.status, feed.last_error) == (0, FeedStatus.OK, None)
    assert feed.next_poll_at == NOW + timedelta(minutes=30)
