"""Image URLs (and the alt text naming the article) from a feed or the API never become live
markup in the email that is sent.

MJML decodes the entities of `mj-image src` and writes the value back raw, so a quote in a
stored image URL used to close the attribute and open new tags. Each payload below goes
through the real path (a served feed polled into articles, or the JSON API), into an
edition sent by a real worker to the SMTP sink; the HTML of the received message is read
the way a browser's tokenizer reads it.
"""

from __future__ import annotations

from html.parser import HTMLParser
from xml.sax.saxutils import escape, quoteattr

import pytest
from sqlalchemy import select

from newsletter.editorial.composer import build_sources
from newsletter.editorial.updates import UpdateInput, create_update
from newsletter.feeds.catalog import add_feed
from newsletter.feeds.service import poll_feed
from newsletter.models import Article, TopicUpdate, UpdateSource
from tests.factories import make_subscriber, make_token, make_topic
from tests.feeds.server import FeedServer, Route

# Each payload is appended to https://img.example/pN.png: the image must still be shown
# (percent-encoded), and nothing after the prefix may act as markup.
PAYLOADS = [
    '"><a href="https://phish.example/">Claim your prize</a>',
    "'><a href='https://phish.example/'>Claim your prize</a>",
    '" onerror="alert(1)',
    "' onerror='alert(1)",
    "&quot; onerror=&quot;alert(1)",
    "&#34;&#62;&#60;a href=&#34;https://phish.example/&#34;&#62;win",
    "&amp;quot;&gt;&lt;a href=&amp;quot;https://phish.example/",
    " <svg onload=alert(1)>",
    '\n"><script>alert(1)</script>',
    "\t\"\x0b onerror=alert(1)",
    "`onerror=alert(1)",
    "%22%3E%3Ca%20href=%22https://phish.example/%22%3Ewin",
    '?a=1&b=2"/><iframe src="https://phish.example/"></iframe>',
    '?q=<img src=x onerror=alert(1)>',
]
# Not a usable http(s) image at all: the API refuses these, and nothing is stored.
REFUSED = [
    '" onerror="alert(1)',
    'https://img.example/i.png\n"><script>alert(1)</script>',
    "javascript:alert(1)",
    'https://img"onerror=x.example/i.png',
    "//img.example/i.png",
    "data:image/svg+xml,<svg onload=alert(1)>",
]
# The API takes single-line text only (a line break is refused, see REFUSED).
API_PAYLOADS = [p for p in PAYLOADS if "\n" not in p]
# A title with quotes: the image's alt text quotes the article title, and MJML decodes alt too.
QUOTED_TITLE = 'Story {n} " onerror="alert({n})\' onload=\'alert({n})'
FORBIDDEN_TAGS = {"script", "svg", "iframe", "object", "embed", "form", "base"}


def image_url(n: int, payload: str) -> str:
    return f"https://img.example/p{n}.png{payload}"


class Audit(HTMLParser):
    """Every tag and attribute of the message HTML, and what should never be among them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in {"href", "src"} and "phish.example" in (value or "") and tag != "img":
                self.problems.append(f"<{tag} {name}={value}>")
        if tag == "img":
            src = dict(attrs).get("src") or ""
            self.images.append(src)
            if any(c in src for c in "\"'<>` \t\n\x0b"):
                self.problems.append(f"img src not encoded: {src!r}")


def audit_sent(smtp, address: str) -> Audit:
    (message,) = smtp.inbox(address)  # parsed from the bytes the sink received
    audit = Audit()
    audit.feed(message.get_body(("html",)).get_content())
    audit.close()
    return audit


def assert_every_image_shown_and_inert(audit: Audit, payloads: list[str]) -> None:
    assert audit.problems == []
    for n, payload in enumerate(payloads):
        shown = [src for src in audit.images if src.startswith(f"https://img.example/p{n}.png")]
        assert len(shown) == 1, (n, payload, audit.images)


def send_edition(client, token: str, update_ids: list[int]) -> None:
    response = client.post("/api/v1/editions", json={"subject": "Images", "update_ids": update_ids,
                                                      "send_at": None},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.json


def payload_feed() -> bytes:
    items = "".join(
        f"<item><title>{escape(QUOTED_TITLE.format(n=n))}</title><link>https://news.example/story/{n}</link>"
        f"<guid>story-{n}</guid><media:content url={quoteattr(image_url(n, p))} medium=\"image\"/>"
        "</item>"
        for n, p in enumerate(PAYLOADS))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Images Daily</title>'
            f"<link>https://news.example/</link>{items}</channel></rss>").encode()


@pytest.fixture
def feed_server():
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()


def test_image_urls_from_a_feed_are_inert_in_the_sent_email(client, db, smtp, work, settings,
                                                            feed_server):
    topic = make_topic(db, "world")
    make_subscriber(db, "reader@example.com", [topic])
    token = make_token(db)
    feed = add_feed(db, "world", feed_server.add("/images.xml", Route(payload_feed())),
                    allow_private=True)
    db.commit()
    assert poll_feed(db, feed.id, settings).new == len(PAYLOADS)

    stored = {a.url: a for a in db.scalars(select(Article).where(Article.feed_id == feed.id))}
    update_ids = []
    for n in range(len(PAYLOADS)):
        article = stored[f"https://news.example/story/{n}"]
        assert article.image_url and not any(c in article.image_url for c in "\"'<> ")
        sources, featured = build_sources(db, topic, [], [article.id], f"article:{article.id}")
        update = create_update(db, "world", UpdateInput(headline=f"Story {n}", sources=sources,
                                                        featured=featured))
        update_ids.append(update.id)
    db.commit()

    send_edition(client, token, update_ids)
    work()
    assert_every_image_shown_and_inert(audit_sent(smtp, "reader@example.com"), PAYLOADS)


def test_the_malformed_media_tag_from_the_report_is_inert(client, db, smtp, work, settings,
                                                          feed_server):
    """The literal feed of the report: a single-quoted url holding a double-quoted link."""
    body = (b'<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
            b"<channel><title>T</title><link>https://news.example/</link><item><title>Raw</title>"
            b"<link>https://news.example/raw</link><media:content url='https://img.example/p0.png"
            b'"><a href="https://phish.example/">Claim your prize</a>\' medium="image"/>'
            b"</item></channel></rss>")
    topic = make_topic(db, "world")
    make_subscriber(db, "reader@example.com", [topic])
    token = make_token(db)
    feed = add_feed(db, "world", feed_server.add("/raw.xml", Route(body)), allow_private=True)
    db.commit()
    assert poll_feed(db, feed.id, settings).new == 1
    article = db.scalars(select(Article)).one()
    sources, featured = build_sources(db, topic, [], [article.id], f"article:{article.id}")
    update = create_update(db, "world", UpdateInput(headline="Raw", sources=sources,
                                                    featured=featured))
    db.commit()

    send_edition(client, token, [update.id])
    work()
    assert_every_image_shown_and_inert(audit_sent(smtp, "reader@example.com"), PAYLOADS[:1])


def test_image_urls_from_the_api_are_inert_in_the_sent_email(client, db, smtp, work):
    topic = make_topic(db, "world")
    make_subscriber(db, "reader@example.com", [topic])
    token = make_token(db)
    db.commit()
    auth = {"Authorization": f"Bearer {token}"}
    update_ids = []
    for n, payload in enumerate(API_PAYLOADS):
        response = client.post("/api/v1/topics/world/updates", headers=auth, json={
            "headline": f"Story {n}", "featured": 0,
            "articles": [{"url": f"https://news.example/story/{n}",
                          "title": QUOTED_TITLE.format(n=n),
                          "outlet": 'News "Daily"', "image_url": image_url(n, payload)}]})
        assert response.status_code == 201, (payload, response.json)
        update_ids.append(response.json["id"])

    send_edition(client, token, update_ids)
    work()
    assert_every_image_shown_and_inert(audit_sent(smtp, "reader@example.com"), API_PAYLOADS)


@pytest.mark.parametrize("payload", REFUSED)
def test_an_image_url_that_is_no_http_url_is_refused_by_the_api(client, db, payload):
    make_topic(db, "world")
    token = make_token(db)
    db.commit()
    response = client.post("/api/v1/topics/world/updates", headers={
        "Authorization": f"Bearer {token}"}, json={
        "headline": "H", "articles": [{"url": "https://news.example/a", "title": "A",
                                       "image_url": payload}]})
    assert response.status_code == 422
    assert "image_url" in response.json["error"]
    assert db.scalars(select(TopicUpdate)).all() == []


def test_an_unclean_image_url_stored_earlier_is_still_inert(client, db, smtp, work):
    """Rows written before URLs were cleaned on the way in: rendering cleans them again."""
    topic = make_topic(db, "world")
    make_subscriber(db, "reader@example.com", [topic])
    token = make_token(db)
    update = create_update(db, "world", UpdateInput.from_json({
        "headline": "Old", "featured": 0,
        "articles": [{"url": "https://news.example/old", "title": "Old",
                      "image_url": "https://img.example/p0.png"}]}))
    db.flush()
    source = db.scalars(select(UpdateSource).where(UpdateSource.update_id == update.id)).one()
    source.image_url = image_url(0, PAYLOADS[0])  # as an old row may hold it
    db.commit()

    send_edition(client, token, [update.id])
    work()
    assert_every_image_shown_and_inert(audit_sent(smtp, "reader@example.com"), PAYLOADS[:1])
