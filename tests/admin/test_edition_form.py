"""The edition form: review with UTC time and estimate, confirm once, validation, test send."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import func, select

from newsletter.models import Edition
from tests.factories import make_subscriber, make_topic, make_update

FUTURE_LOCAL = "2031-07-01T09:00"  # New York is on EDT (UTC-4) then


def editions(db) -> list[Edition]:
    db.expire_all()
    return list(db.scalars(select(Edition)))


def newsroom(db):
    world, climate = make_topic(db, "world", name="World"), make_topic(db, "climate", name="Climate")
    updates = [make_update(db, world, "World headline"), make_update(db, climate, "Climate headline")]
    make_subscriber(db, "ann@example.com", [world, climate])
    make_subscriber(db, "bob@example.com", [climate])
    make_subscriber(db, "pending@example.com", [world], status="pending")
    db.commit()
    return updates


def form(updates, **extra):  # type: ignore[no-untyped-def]
    return {"subject": "Morning briefing", "updates": [str(u.id) for u in updates],
            "send_at": FUTURE_LOCAL, "timezone": "America/New_York", **extra}


def nonce_of(html: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)


def test_the_form_preselects_published_updates_not_yet_sent(as_editor, db):
    updates = newsroom(db)
    html = as_editor.get("/admin/editions/new").get_data(as_text=True)
    for u in updates:
        assert f'name="updates" value="{u.id}" checked' in html
    assert 'name="send_at"' in html and 'name="timezone"' in html and 'name="subject"' in html
    assert '<option value="America/New_York"' in html


def test_review_shows_the_time_in_utc_and_the_recipient_estimate(as_editor, db):
    updates = newsroom(db)
    response = as_editor.post("/admin/editions/new", form(updates))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Tuesday 1 July 2031, 09:00" in html and "America/New_York" in html
    assert "= 2031-07-01 13:00 UTC" in html
    assert '<strong id="review-recipients">2</strong>' in html  # the pending one is not counted
    assert editions(db) == []  # nothing is created before confirming


def test_confirming_creates_and_schedules_the_edition_in_utc(as_editor, db, runtime):
    updates = newsroom(db)
    html = as_editor.post("/admin/editions/new", form(updates)).get_data(as_text=True)
    response = as_editor.post("/admin/editions", form(updates, nonce=nonce_of(html)))
    assert response.status_code == 302
    [edition] = editions(db)
    assert response.headers["Location"].endswith(f"/admin/editions/{edition.id}")
    assert edition.send_at == datetime(2031, 7, 1, 13, 0, tzinfo=UTC)
    assert edition.timezone == "America/New_York" and edition.status == "scheduled"
    assert [i.update_id for i in edition.items] == [u.id for u in updates]
    assert runtime.queue.scheduled_job_registry.count == 1


def test_a_second_submission_of_the_same_form_creates_nothing_more(as_editor, db):
    updates = newsroom(db)
    html = as_editor.post("/admin/editions/new", form(updates)).get_data(as_text=True)
    data = form(updates, nonce=nonce_of(html))
    first = as_editor.post("/admin/editions", data)
    second = as_editor.post("/admin/editions", data)
    assert len(editions(db)) == 1
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]


def test_a_confirm_without_the_one_time_key_is_refused(as_editor, db):
    updates = newsroom(db)
    assert as_editor.post("/admin/editions", form(updates, nonce="made-up")).status_code == 409
    assert as_editor.post("/admin/editions", form(updates)).status_code == 422
    assert editions(db) == []


def test_an_empty_subject_uses_the_first_headline(as_editor, db):
    updates = newsroom(db)
    html = as_editor.post("/admin/editions/new", form(updates, subject="")).get_data(as_text=True)
    as_editor.post("/admin/editions", form(updates, subject="", nonce=nonce_of(html)))
    assert editions(db)[0].subject == "World headline + 1 more"


def test_bad_input_is_refused_with_a_clear_message(as_editor, db):
    updates = newsroom(db)
    draft = make_update(db, updates[0].topic, "Draft", status="draft")
    db.commit()
    cases = [
        (form(updates, send_at="2020-01-01T09:00"), "in the past"),
        (form([]), "Choose at least one topic update"),
        (form([draft]), "are drafts"),
        (form(updates, timezone="Mars/Olympus"), "Unknown time zone"),
        (form(updates, send_at=""), "Choose a send time"),
        (form(updates, send_at="tomorrow-ish"), "ISO-8601"),
        ({**form(updates), "updates": ["abc"]}, "list of ids"),
        (form(updates, subject="x" * 301), "longer than 300"),
    ]
    for data, message in cases:
        for path in ("/admin/editions/new", "/admin/editions"):
            response = as_editor.post(path, data)
            assert response.status_code == 422, (data, path)
            assert message in response.get_data(as_text=True), (message, path)
    assert editions(db) == []


def test_send_now_goes_out_with_a_real_worker(as_editor, db, smtp, work):
    updates = newsroom(db)
    html = as_editor.post("/admin/editions/new", form(updates, send_now="1")).get_data(as_text=True)
    assert "Send now" in html
    as_editor.post("/admin/editions", form(updates, send_now="1", nonce=nonce_of(html)))
    work()
    [edition] = editions(db)
    assert edition.status == "sent" and edition.total == 2
    assert len(smtp.inbox("ann@example.com")) == 1 and len(smtp.inbox("bob@example.com")) == 1


def test_a_test_send_from_the_review_page_mails_one_marked_copy(as_editor, db, smtp):
    updates = newsroom(db)
    html = as_editor.post("/admin/editions/new", form(updates)).get_data(as_text=True)
    response = as_editor.post("/admin/editions/test",
                              form(updates, nonce=nonce_of(html), test_email="desk@example.org"))
    assert response.status_code == 200
    [message] = smtp.inbox("desk@example.org")
    assert message["Subject"] == "[Test] Morning briefing"
    body = message.get_body(("html",)).get_content()
    assert "World headline" in body and "Climate headline" in body
    assert editions(db) == []


def test_a_test_send_to_a_bad_address_is_refused(as_editor, db, smtp):
    updates = newsroom(db)
    html = as_editor.post("/admin/editions/new", form(updates)).get_data(as_text=True)
    response = as_editor.post("/admin/editions/test",
                              form(updates, nonce=nonce_of(html), test_email="not-an-address"))
    assert response.status_code == 422
    assert "not valid" in response.get_data(as_text=True)
    assert smtp.messages == []


def test_the_estimate_endpoint_counts_active_followers(as_editor, db):
    updates = newsroom(db)
    query = "&".join(f"updates={u.id}" for u in updates[:1])
    assert as_editor.get(f"/admin/editions/estimate.json?{query}").json == {"recipients": 1}
    assert as_editor.get("/admin/editions/estimate.json").json == {"recipients": 0}


def test_editions_count_stays_zero_after_only_reviews(as_editor, db):
    updates = newsroom(db)
    for _ in range(3):
        as_editor.post("/admin/editions/new", form(updates))
    assert db.scalar(select(func.count()).select_from(Edition)) == 0
