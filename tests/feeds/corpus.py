"""A fixed corpus of feeds, polled twice, whose stored output is pinned in golden/polls.json.

The corpus covers what the poll path does to an entry: several outlets covering the same
events in two topics (story grouping joins and opens stories), RSS 2.0, RSS 1.0, RSS 0.91 in
Latin-1 and Atom (text, html and xhtml content, xml:base and relative links), images from
media:content, enclosures and <img> in the markup, entities, tracking parameters, missing and
future dates, entries without a GUID or without a link, GUIDs repeated within a feed, one
story carried by two feeds of a topic, and the XSS payloads of the hostile-feed tests. Round
2 edits entries, rotates GUIDs and adds new ones, so updates and dedupe are pinned too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from .test_xss_never_reaches_output import PAYLOADS

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
ROUND_NOW = {1: datetime(2026, 3, 2, 6, 0, tzinfo=UTC), 2: datetime(2026, 3, 2, 7, 0, tzinfo=UTC)}
_SYLLABLES = ["ka", "lo", "mi", "ta", "ren", "vo", "shi", "da", "pel", "nu", "gar", "zi"]
_rng = random.Random(11)
VOCAB = sorted({"".join(_rng.choices(_SYLLABLES, k=4)) for _ in range(900)})
COMMON = VOCAB[:60]


@dataclass(frozen=True)
class CorpusFeed:
    key: str
    topic: str
    content_type: str
    rounds: dict[int, bytes]  # the body served in each round (the same bytes when unchanged)


def _event(topic: str, n: int) -> list[str]:
    return random.Random(f"{topic}-{n}").sample(VOCAB, 10)


def _rss_item(title: str, link: str, guid: str | None, description: str,
              when: datetime | None, extra: str = "") -> str:
    guid_xml = f'<guid isPermaLink="false">{escape(guid)}</guid>' if guid else ""
    date = f"<pubDate>{format_datetime(when)}</pubDate>" if when else ""
    return (f"<item><title>{escape(title)}</title><link>{escape(link)}</link>{guid_xml}"
            f"<description>{escape(description)}</description>{date}{extra}</item>")


def _rss(title: str, site: str, items: list[str]) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:media="http://search.yahoo.com/mrss/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>{escape(title)}</title><link>{escape(site)}</link>"
            f"<description>Corpus</description>{''.join(items)}</channel></rss>").encode()


def _outlet(topic: str, n: int, version: int) -> bytes:
    """An outlet of `topic`: entries about the topic's 8 events, each worded its own way."""
    rng = random.Random(f"{topic}-outlet-{n}")
    site = f"https://outlet{n}.{topic}.example/"
    count = rng.randint(4, 12)
    keys = [f"{n}-{k}" for k in range(count)]
    if version == 2 and n % 2 == 0:
        keys = [f"{n}-new-{k}" for k in range(2)] + keys
    items = []
    for k, key in enumerate(keys):
        words = random.Random(f"{topic}-{key}")
        event = _event(topic, words.randrange(8))
        title = " ".join(words.sample(event, 5) + words.sample(COMMON, 2)).capitalize()
        body = " ".join(words.choice(event) if words.random() < 0.35 else words.choice(COMMON)
                        for _ in range(words.randint(30, 90)))
        if version == 2 and key == f"{n}-1":
            body += " (updated with a correction)"  # an edited entry: same GUID, new text
        markup = f"<p>{body}</p>"
        if k % 3 == 1:
            markup += f'<p>More at <a href="/more/{key}">our site</a> &amp; <em>elsewhere</em>.</p>'
        if k % 4 == 2:
            markup = f'<img src="images/{key}.png" alt="x"> ' + markup
        guid = key if not (version == 2 and n % 3 == 0 and k == 0) else f"rotated-{key}"
        link = f"{site}{key}?utm_source=rss&amp=1" if k % 5 == 0 else f"{site}{key}"
        extra = ""
        if k % 4 == 0:
            extra = f'<media:content url="https://img.outlet{n}.example/{key}.jpg" medium="image"/>'
        elif k % 4 == 3:
            extra = f'<enclosure url="/media/{key}.jpg" type="image/jpeg" length="1"/>'
        when = T0 + timedelta(minutes=17 * k + n)
        if k == count - 1 and n % 2:
            when = None  # no date: first-seen time
        items.append(_rss_item(title, link, guid, markup, when, extra))
    if n == 0:  # the story of outlet 1's first entry, carried again with tracking parameters
        items.append(_rss_item("Carried twice", f"https://outlet1.{topic}.example/1-0?fbclid=x",
                               "carried-1-0", "<p>Carried from another outlet.</p>", T0))
    return _rss(f"Outlet {n} of {topic}", site, items)


def _odd_rss(version: int) -> bytes:
    """Edge cases of RSS entries: each item is one thing the parser has to decide."""
    far = T0 + timedelta(days=400)
    items = [
        _rss_item("No GUID, a link", "https://odd.example/no-guid", None, "<p>Linked.</p>", T0),
        _rss_item("", "https://odd.example/untitled", "untitled",
                  "<p>A summary that has to stand in for the missing title of the entry.</p>", T0),
        _rss_item("No link at all", "", "no-link", "<p>Skipped.</p>", T0),
        _rss_item("Relative link", "/relative/path", "relative", "<p>Relative.</p>", T0),
        _rss_item("From the future", "https://odd.example/future", "future", "<p>Soon.</p>", far),
        _rss_item("Repeated GUID", "https://odd.example/rep-1", "repeated", "<p>One.</p>", T0),
        _rss_item("Repeated GUID", "https://odd.example/rep-2", "repeated", "<p>Two.</p>", T0),
        _rss_item("Entities &amp; “quotes” — café", "https://odd.example/entities?b=2&a=1",
                  "entities", "Fish &amp; chips &lt;b&gt;escaped&lt;/b&gt; &#169; 2026", T0),
        _rss_item("Plain words < and > in text", "https://ODD.example:443/Upper/Case/",
                  "plain", "Two < three and five > four, no markup here.", T0),
        _rss_item("Encoded body", "https://odd.example/encoded", "encoded", "Short teaser.", T0,
                  "<content:encoded><![CDATA[<h2>Long</h2><p>" + "word " * 700
                  + '</p><img src="https://odd.example/body.jpg"><script>x()</script>'
                  "]]></content:encoded>"),
        _rss_item("Javascript link", "javascript:alert(1)", "js-link", "<p>Bad link.</p>", T0),
        _rss_item("Space in link", "https://odd.example/a b\"c<d>", "space", "<p>x</p>", T0),
        _rss_item("Unicode host", "https://bücher.example/straße?q=ü", "idn", "<p>ü</p>", T0),
    ]
    if version == 2:
        items.append(_rss_item("Second round", "https://odd.example/second", "second",
                               "<p>New in round two.</p>", T0 + timedelta(hours=1)))
    return _rss("Odd & Ends", "https://odd.example/", items)


def _hostile() -> bytes:
    items = [_rss_item(f"Payload {k} {payload}", f"https://hostile.example/{k}", f"payload-{k}",
                       f"<p>Before {payload} after</p>", T0 + timedelta(minutes=k))
             for k, payload in enumerate(PAYLOADS)]
    items.append(_rss_item("Link payload", 'https://hostile.example/x"><script>alert(1)</script>',
                           "link-payload", "<p>x</p>", T0))
    return _rss("Hostile <b>Times</b>", "https://hostile.example/", items)


def _atom() -> bytes:
    entries = [
        '<entry xml:base="https://atom.example/base/"><title type="html">&lt;b&gt;Html&lt;/b&gt;'
        ' title</title><link rel="alternate" href="relative/one"/><id>urn:atom:1</id>'
        "<updated>2026-03-01T08:00:00+02:00</updated><summary type=\"html\">&lt;p&gt;See "
        '&lt;a href="../up"&gt;up&lt;/a&gt; and &lt;img src="pic.png"&gt;&lt;/p&gt;</summary>'
        "</entry>",
        "<entry><title type=\"text\">Text &lt;b&gt;not bold&lt;/b&gt;</title>"
        '<link rel="alternate" href="https://atom.example/two"/><id>urn:atom:2</id>'
        '<published>2026-03-01T09:00:00Z</published><summary type="text">a &lt;b&gt; b'
        '</summary><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Xhtml '
        '<a href="/x">content</a> body</p></div></content></entry>',
        '<entry><title>No summary</title><link rel="enclosure" type="image/png" '
        'href="https://atom.example/enc.png"/><link href="https://atom.example/three"/>'
        "<id>https://atom.example/three</id><updated>2026-03-01T10:00:00Z</updated>"
        '<content type="html">&lt;p&gt;Only content, '
        + "many words " * 50 + "&lt;/p&gt;</content></entry>",
    ]
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            'xml:base="https://atom.example/">'
            '<title>Atom Corpus</title><link href="https://atom.example/"/><id>urn:atom</id>'
            f"<updated>2026-03-01T10:00:00Z</updated>{''.join(entries)}</feed>").encode()


def _rdf() -> bytes:
    return (b'<?xml version="1.0" encoding="utf-8"?>\n'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            b'<channel rdf:about="https://rdf.example/"><title>RDF Corpus</title>'
            b"<link>https://rdf.example/</link><description>c</description></channel>"
            b'<item rdf:about="https://rdf.example/1"><title>RDF one</title>'
            b"<link>https://rdf.example/1</link><description>&lt;p&gt;One&lt;/p&gt;</description>"
            b"<dc:date>2026-03-01T07:00:00Z</dc:date></item></rdf:RDF>")


def _latin1() -> bytes:
    return ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<rss version="0.91"><channel>'
            "<title>Gazette é</title><link>https://gazette.example/</link>"
            "<description>c</description><item><title>Café crème</title>"
            "<link>https://gazette.example/cafe</link><description>Déjà vu</description></item>"
            "</channel></rss>").encode("iso-8859-1")


def corpus() -> list[CorpusFeed]:
    feeds = []
    for topic in ("alpha", "beta"):
        for n in range(6):
            feeds.append(CorpusFeed(f"{topic}-{n}", topic, "application/rss+xml; charset=utf-8",
                                    {1: _outlet(topic, n, 1), 2: _outlet(topic, n, 2)}))
    odd = "application/rss+xml; charset=utf-8"
    feeds.append(CorpusFeed("odd", "alpha", odd, {1: _odd_rss(1), 2: _odd_rss(2)}))
    feeds.append(CorpusFeed("hostile", "beta", odd, {1: _hostile(), 2: _hostile()}))
    feeds.append(CorpusFeed("atom", "alpha", "application/atom+xml", {1: _atom(), 2: _atom()}))
    feeds.append(CorpusFeed("rdf", "beta", "application/rdf+xml", {1: _rdf(), 2: _rdf()}))
    feeds.append(CorpusFeed("latin1", "beta", "application/rss+xml", {1: _latin1(), 2: _latin1()}))
    return feeds
