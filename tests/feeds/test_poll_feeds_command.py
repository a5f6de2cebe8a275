"""`newsletter poll-feeds` polls every due feed now and prints a summary."""

from __future__ import annotations

from .helpers import articles, feed_for
from .samples import items, rss2
from .server import Route


def test_poll_feeds_polls_due_feeds_and_summarises(db, topic, runner, feed_server):
    feed_for(db, feed_server.add("/one.xml", Route(rss2(items(2)))))
    feed_for(db, feed_server.add("/two.xml", Route(b"", status=500)))
    result = runner.invoke(args=["poll-feeds"])
    assert result.exit_code == 0, result.output
    assert "Polled 2 feeds: 1 error, 1 ok; 2 new and 0 updated articles." in result.output
    assert "HTTP 500" in result.output
    assert len(articles(db)) == 2
    again = runner.invoke(args=["poll-feeds"])
    assert "Polled 0 feeds: none due" in again.output


def test_poll_feeds_all_polls_feeds_that_are_not_due(db, topic, runner, feed_server):
    feed_for(db, feed_server.add("/one.xml", Route(rss2(items(2)))))
    runner.invoke(args=["poll-feeds"])
    result = runner.invoke(args=["poll-feeds", "--all"])
    assert "Polled 1 feeds: 1 ok; 0 new and 0 updated articles." in result.output
