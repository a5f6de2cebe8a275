"""/topics/<slug>: the seed's format, earlier updates, Follow, and nothing that is not public."""

from __future__ import annotations

import re

from newsletter.models import UpdateStatus, utcnow
from tests.factories import make_topic, make_update
from tests.site.helpers import seed_topic


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_topic_page_shows_the_latest_update_in_the_seed_format(client, db):
    seed_topic(db)
    db.commit()
    response = client.get("/topics/ukraine")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert "<h1 class=\"briefing-headline\">Can Diplomacy Still Avert War in Ukraine?</h1>" in html
    assert "Curated by informed" in text
    assert "UPDATE: A diplomatic resolution looks remote—but talks continue this week." in text
    assert "The US and Russia faced off in the United Nations on Monday." in text
    assert "BACKGROUND: The Kremlin wants NATO" in text
    # the seed's outlets line: the featured outlet (France 24) is the "+ 1 more"
    assert "Financial Times, The Washington Post, The New York Times + 1 more" in text
    assert "4 articles on this topic" in text
    assert '<a href="https://www.ft.com/ukraine-un"' in html  # the articles are linked
    assert 'alt="Picture for the France 24 article “Blinken, Lavrov to hold fresh talks”"' in html
    assert "France 24 Blinken, Lavrov to hold fresh talks 3 min read" in text


def test_more_outlets_opens_the_full_list_without_javascript(client, db):
    seed_topic(db)
    db.commit()
    html = client.get("/topics/ukraine").get_data(as_text=True)
    more = re.search(r'<details class="more-outlets">(.*?)</details>', html, re.S)
    assert more is not None
    assert "<summary>+ 1 more</summary>" in more.group(1)
    assert "France 24" in more.group(1) and "Financial Times" in more.group(1)
    assert "<script" not in html


def test_earlier_updates_form_a_timeline_newest_first(client, db):
    seed_topic(db, older=3)
    db.commit()
    html = client.get("/topics/ukraine").get_data(as_text=True)
    timeline = html[html.index('id="earlier"'):]
    positions = [timeline.index(f"Earlier update number {n}") for n in (3, 2, 1)]
    assert positions == sorted(positions)


def test_follow_button_leads_to_subscribe_with_the_topic_ticked(client, db):
    seed_topic(db)
    db.commit()
    html = client.get("/topics/ukraine").get_data(as_text=True)
    assert 'href="/subscribe?topic=ukraine"' in html
    form = client.get("/subscribe?topic=ukraine").get_data(as_text=True)
    assert re.search(r'value="ukraine"\s+checked', form)


def test_drafts_never_appear_on_the_topic_page(client, db):
    topic, _ = seed_topic(db)
    make_update(db, topic, "Secret draft headline", status=UpdateStatus.DRAFT)
    db.commit()
    html = client.get("/topics/ukraine").get_data(as_text=True)
    assert "Secret draft headline" not in html
    assert "Can Diplomacy Still Avert War in Ukraine?" in html


def test_archived_and_non_public_topics_are_a_404(client, db):
    archived = make_topic(db, "old-news")
    make_update(db, archived, "Archived headline")
    archived.archived_at = utcnow()
    hidden = make_topic(db, "internal")
    make_update(db, hidden, "Internal headline")
    hidden.public = False
    db.commit()
    for slug, headline in (("old-news", "Archived headline"), ("internal", "Internal headline")):
        response = client.get(f"/topics/{slug}")
        assert response.status_code == 404
        assert headline not in response.get_data(as_text=True)


def test_unknown_slug_is_a_friendly_404_page(client, db):
    seed_topic(db)
    db.commit()
    response = client.get("/topics/no-such-topic")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "We could not find that page" in html
    assert 'href="/topics/ukraine"' in html  # points somewhere useful


def test_markup_in_editor_fields_is_escaped(client, db):
    topic = make_topic(db, "xss", name="<b>Bold</b> topic", description="<i>desc</i>")
    make_update(db, topic, "<script>alert(1)</script> headline",
                lede="<img src=x onerror=alert(2)>", bullets=["<a href='javascript:x'>b</a>"],
                background=["<iframe></iframe>"])
    db.commit()
    html = client.get("/topics/xss").get_data(as_text=True)
    for raw in ("<script>alert(1)", "<img src=x", "<a href='javascript:x'>", "<iframe>", "<b>Bold",
                "<i>desc"):
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; headline" in html


def test_topic_without_updates_still_has_a_page_to_follow(client, db):
    make_topic(db, "quiet", name="Quiet topic")
    db.commit()
    response = client.get("/topics/quiet")
    assert response.status_code == 200
    assert 'href="/subscribe?topic=quiet"' in response.get_data(as_text=True)
