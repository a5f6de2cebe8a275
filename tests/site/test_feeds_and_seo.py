"""Atom feeds parse cleanly (feedparser: no bozo) with the right entries; pages carry their
title, description, canonical URL and social cards; sitemap, robots and favicon answer."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser

from newsletter.models import UpdateStatus
from tests.factories import make_topic, make_update
from tests.site.helpers import seed_topic, sent_edition

BASE = "https://news.example.test"


def test_topic_feed_is_valid_atom_with_its_published_updates(client, db):
    topic, _ = seed_topic(db, older=2)
    make_update(db, topic, "A draft never in the feed", status=UpdateStatus.DRAFT)
    db.commit()
    response = client.get("/topics/ukraine/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [e.title for e in feed.entries] == [
        "Can Diplomacy Still Avert War in Ukraine?", "Earlier update number 2",
        "Earlier update number 1"]
    first = feed.entries[0]
    assert first.link == f"{BASE}/topics/ukraine#update-{first.id.rsplit('-', 1)[1]}"
    assert "BACKGROUND:" in first.content[0].value
    assert first.author == "informed"
    assert any(link.rel == "self" and link.href == f"{BASE}/topics/ukraine/feed.atom"
               for link in feed.feed.links)


def test_markup_in_a_headline_stays_text_in_the_feed(client, db):
    topic = make_topic(db, "xss")
    make_update(db, topic, "<script>alert(1)</script> & more", lede="<b>bold?</b>")
    db.commit()
    body = client.get("/topics/xss/feed.atom").get_data()
    feed = feedparser.parse(body)
    assert not feed.bozo
    assert feed.entries[0].title == "<script>alert(1)</script> & more"
    assert b"<script>" not in body


def test_archive_feed_lists_only_sent_public_editions(client, db):
    _, latest = seed_topic(db)
    sent_edition(db, [latest], "Public edition")
    sent_edition(db, [latest], "Private edition", public=False)
    db.commit()
    feed = feedparser.parse(client.get("/archive/feed.atom").get_data())
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["Public edition"]
    assert "Can Diplomacy Still Avert War in Ukraine?" in feed.entries[0].content[0].value


def test_unknown_topic_feed_is_a_404(client, db):
    assert client.get("/topics/nothing/feed.atom").status_code == 404


def test_topic_page_has_title_description_canonical_and_social_tags(client, db):
    seed_topic(db)
    db.commit()
    html = client.get("/topics/ukraine").get_data(as_text=True)
    assert "<title>Can Diplomacy Still Avert War in Ukraine? · The Briefing</title>" in html
    assert '<meta name="description" content="A diplomatic resolution looks remote' in html
    assert f'<link rel="canonical" href="{BASE}/topics/ukraine">' in html
    assert '<meta property="og:title" content="Can Diplomacy Still Avert War in Ukraine?">' in html
    assert '<meta property="og:image" content="https://img.example/talks.jpg">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert f'href="{BASE}/topics/ukraine/feed.atom"' in html


def test_sitemap_lists_public_pages_only(client, db):
    _, latest = seed_topic(db)
    hidden = make_topic(db, "hidden")
    hidden.public = False
    public = sent_edition(db, [latest], "Public")
    private = sent_edition(db, [latest], "Private", public=False)
    db.commit()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.fromstring(response.get_data())  # noqa: S314 - our own response
    locs = {e.text for e in root.findall("s:url/s:loc", ns)}
    assert {f"{BASE}/", f"{BASE}/archive", f"{BASE}/topics/ukraine",
            f"{BASE}/archive/{public.id}"} == locs
    assert f"{BASE}/archive/{private.id}" not in locs


def test_robots_txt_points_to_the_sitemap_and_keeps_private_links_out(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert f"Sitemap: {BASE}/sitemap.xml" in text
    for path in ("/admin/", "/web/", "/preferences/", "/unsubscribe/"):
        assert f"Disallow: {path}" in text


def test_favicon_is_served_with_caching(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in response.headers["Cache-Control"]


def test_feeds_carry_the_elements_rfc_4287_requires(client, db):
    _, latest = seed_topic(db)
    sent_edition(db, [latest], "Public edition")
    db.commit()
    atom = "{http://www.w3.org/2005/Atom}"
    for path in ("/topics/ukraine/feed.atom", "/archive/feed.atom"):
        root = ET.fromstring(client.get(path).get_data())  # noqa: S314 - our own response
        assert root.tag == f"{atom}feed"
        for name in ("id", "title", "updated", "author"):
            assert root.find(f"{atom}{name}") is not None, (path, name)
        entries = root.findall(f"{atom}entry")
        assert entries
        ids = [e.findtext(f"{atom}id") for e in entries]
        assert len(set(ids)) == len(ids)
        for entry in entries:
            for name in ("id", "title", "updated"):
                assert entry.findtext(f"{atom}{name}"), (path, name)
            # a link without rel is rel="alternate" (RFC 4287 4.2.7.2)
            assert any(link.get("rel", "alternate") == "alternate" and link.get("href")
                       for link in entry.findall(f"{atom}link"))
