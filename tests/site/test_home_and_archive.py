"""/ lists the public topics with their latest headline and a sign-up form; /archive lists sent
public editions newest first; /archive/<id> is the web version of one edition."""

from __future__ import annotations

from datetime import timedelta

from newsletter.models import EditionStatus, UpdateStatus, utcnow
from tests.factories import make_topic, make_update
from tests.site.helpers import seed_topic, sent_edition


def test_home_lists_public_topics_with_their_latest_headline(client, db):
    seed_topic(db)
    climate = make_topic(db, "climate", name="Climate")
    make_update(db, climate, "Older climate headline").published_at = utcnow() - timedelta(days=2)
    make_update(db, climate, "Newest climate headline")
    db.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Can Diplomacy Still Avert War in Ukraine?" in html
    assert "Newest climate headline" in html
    assert "Older climate headline" not in html
    assert 'href="/topics/climate"' in html


def test_home_has_a_sign_up_form_for_the_topics(client, db):
    seed_topic(db)
    db.commit()
    html = client.get("/").get_data(as_text=True)
    assert 'action="/subscribe"' in html and 'name="csrf_token"' in html
    assert 'name="email"' in html and 'name="topics" value="ukraine"' in html
    response = client.get("/")
    assert "private" in response.headers["Cache-Control"]  # it carries a form token


def test_home_never_shows_drafts_archived_or_non_public_topics(client, db):
    topic, _ = seed_topic(db)
    make_update(db, topic, "Draft on the home page", status=UpdateStatus.DRAFT)
    archived = make_topic(db, "gone", name="Gone topic")
    archived.archived_at = utcnow()
    hidden = make_topic(db, "hidden", name="Hidden topic")
    hidden.public = False
    db.commit()
    html = client.get("/").get_data(as_text=True)
    for text in ("Draft on the home page", "Gone topic", "Hidden topic", "/topics/hidden"):
        assert text not in html


def test_archive_lists_sent_public_editions_newest_first(client, db):
    _, latest = seed_topic(db)
    old = sent_edition(db, [latest], "Monday briefing")
    old.send_at = utcnow() - timedelta(days=1)
    sent_edition(db, [latest], "Tuesday briefing")
    sent_edition(db, [latest], "Kept private briefing", public=False)
    sent_edition(db, [latest], "Still scheduled briefing", status=EditionStatus.SCHEDULED)
    db.commit()
    html = client.get("/archive").get_data(as_text=True)
    assert html.index("Tuesday briefing") < html.index("Monday briefing")
    assert "Kept private briefing" not in html
    assert "Still scheduled briefing" not in html


def test_archive_edition_page_shows_all_its_topics(client, db):
    _, ukraine = seed_topic(db)
    climate = make_topic(db, "climate", name="Climate")
    heat = make_update(db, climate, "Heat records fall again")
    edition = sent_edition(db, [ukraine, heat])
    db.commit()
    response = client.get(f"/archive/{edition.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("Can Diplomacy Still Avert War") < html.index("Heat records fall again")
    assert response.headers["ETag"]


def test_archive_edition_page_leaves_out_archived_topics(client, db):
    _, ukraine = seed_topic(db)
    gone = make_topic(db, "gone")
    gone_update = make_update(db, gone, "Headline of an archived topic")
    edition = sent_edition(db, [ukraine, gone_update])
    gone.archived_at = utcnow()
    db.commit()
    html = client.get(f"/archive/{edition.id}").get_data(as_text=True)
    assert "Headline of an archived topic" not in html
    assert "Can Diplomacy Still Avert War" in html


def test_non_public_unsent_and_unknown_editions_are_a_404(client, db):
    _, latest = seed_topic(db)
    private = sent_edition(db, [latest], "Private", public=False)
    scheduled = sent_edition(db, [latest], "Later", status=EditionStatus.SCHEDULED)
    db.commit()
    for path in (f"/archive/{private.id}", f"/archive/{scheduled.id}", "/archive/999999",
                 "/archive/99999999999", "/archive?page=abc", "/archive?page=40"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "We could not find that page" in response.get_data(as_text=True)


def test_a_topic_created_over_the_api_can_stay_off_the_site(client, db):
    from tests.factories import make_token

    token = make_token(db)
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    made = client.post("/api/v1/topics", json={"slug": "inside", "name": "Inside", "public": False},
                       headers=headers)
    assert made.status_code == 201 and made.json["public"] is False
    assert client.get("/topics/inside").status_code == 404
    bad = client.post("/api/v1/topics", json={"slug": "x", "name": "X", "public": "no"},
                      headers=headers)
    assert bad.status_code == 422 and "public" in bad.json["error"]
