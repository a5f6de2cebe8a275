"""OPML import adds feeds (skipping bad and known ones) and export lists them back."""

from __future__ import annotations

import pytest

from newsletter.errors import ValidationError
from newsletter.feeds.catalog import add_feed, list_feeds
from newsletter.feeds.opml import export_opml, import_opml

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="Climate">
    <outline type="rss" text="Carbon Brief" xmlUrl="https://www.carbonbrief.org/feed/"/>
    <outline type="rss" text="Grist" xmlUrl="https://grist.org/feed/" htmlUrl="https://grist.org"/>
    <outline type="rss" text="Bad" xmlUrl="javascript:alert(1)"/>
    <outline type="rss" text="Metadata" xmlUrl="http://169.254.169.254/latest/"/>
    <outline type="rss" text="Dup" xmlUrl="https://grist.org/feed/"/>
  </outline>
</body></opml>"""


def test_import_adds_good_feeds_and_reports_the_rest(db, topic):
    result = import_opml(db, "climate", OPML, allow_private=False)
    assert (result.added, result.skipped) == (2, 3)
    assert [f.url for f in list_feeds(db, "climate")] == ["https://www.carbonbrief.org/feed/",
                                                         "https://grist.org/feed/"]
    assert list_feeds(db, "climate")[0].title == "Carbon Brief"


def test_export_round_trips(db, topic):
    add_feed(db, "climate", "https://example.com/a.xml", 30)
    add_feed(db, "climate", "https://example.com/b.xml?x=1&y=2", 30, title="B & Co")
    exported = export_opml(db, "climate")
    from tests.factories import make_topic

    make_topic(db, "copy")
    result = import_opml(db, "copy", exported)
    assert result.added == 2
    assert [f.url for f in list_feeds(db, "copy")] == [f.url for f in list_feeds(db, "climate")]


@pytest.mark.parametrize("data", [
    b"not xml at all",
    b"<html><body/></html>",
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><opml><body>&lol;</body></opml>',
    b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><opml/>',
])
def test_unreadable_or_dangerous_opml_is_refused(db, topic, data):
    with pytest.raises(ValidationError):
        import_opml(db, "climate", data)
    assert list_feeds(db, "climate") == []


def test_imported_feed_urls_are_stored_percent_encoded(db, topic):
    data = (b'<?xml version="1.0"?><opml version="2.0"><body>'
            b'<outline text="Q" xmlUrl="https://feeds.example/rss?q=&quot;a b&quot;&lt;x&gt;"/>'
            b"</body></opml>")
    assert import_opml(db, "climate", data).added == 1
    (feed,) = list_feeds(db, "climate")
    assert feed.url == "https://feeds.example/rss?q=%22a%20b%22%3Cx%3E"
