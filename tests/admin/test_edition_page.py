"""The edition page: live status JSON, valid transitions only, errors, per-reader preview."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import delete, select

from newsletter.delivery.jobs import enqueue_start
from newsletter.editorial.editions import create_edition
from newsletter.models import Edition, Subscriber, Subscription, utcnow
from tests.factories import make_subscriber, make_topic, make_update


def headlines(html: str) -> list[str]:
    return re.findall(r"<h2[^>]*>(.*?)</h2>", html)


def scheduled_edition(db, runtime, minutes: int = 60) -> Edition:
    world, climate = make_topic(db, "world", name="World"), make_topic(db, "climate", name="Climate")
    updates = [make_update(db, world, "World headline"), make_update(db, climate, "Climate headline")]
    make_subscriber(db, "ann@example.com", [world])
    make_subscriber(db, "bob@example.com", [world, climate])
    make_subscriber(db, "cat@example.com", [climate])
    edition = create_edition(db, "Briefing", [u.id for u in updates],
                             utcnow() + timedelta(minutes=minutes), timezone="Europe/Berlin")
    db.commit()
    enqueue_start(runtime, edition)
    return edition


def test_status_json_has_counts_actions_and_reach(as_editor, db, runtime):
    edition = scheduled_edition(db, runtime)
    data = as_editor.get(f"/admin/editions/{edition.id}/status.json").json
    assert data["status"] == "scheduled"
    assert (data["total"], data["sent"], data["failed"], data["pending"]) == (3, 0, 0, 3)
    assert data["actions"] == {"pause": True, "resume": False, "cancel": True}
    assert {r["slug"]: r["recipients"] for r in data["reach"]} == {"world": 2, "climate": 2}


def test_the_page_shows_progress_and_only_valid_buttons(as_editor, db, runtime):
    edition = scheduled_edition(db, runtime)
    html = as_editor.get(f"/admin/editions/{edition.id}").get_data(as_text=True)
    assert '<progress id="progress"' in html
    assert 'id="action-pause" hidden' not in html and 'id="action-cancel" hidden' not in html
    assert 'id="action-resume" hidden' in html
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T", html)  # the edition's own zone
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", html)


def test_a_sent_edition_reaches_100_percent_and_offers_no_actions(as_editor, db, runtime, work,
                                                                  smtp):
    edition = scheduled_edition(db, runtime, minutes=0)
    work()
    data = as_editor.get(f"/admin/editions/{edition.id}/status.json").json
    assert data["status"] == "sent" and data["sent"] == data["total"] == 3
    assert data["actions"] == {"pause": False, "resume": False, "cancel": False}
    html = as_editor.get(f"/admin/editions/{edition.id}").get_data(as_text=True)
    assert "100%" in html
    assert 'id="action-pause" hidden' in html and 'id="action-cancel" hidden' in html


def test_pause_resume_and_cancel_follow_the_allowed_transitions(as_editor, db, runtime):
    edition = scheduled_edition(db, runtime)
    base = f"/admin/editions/{edition.id}"
    assert as_editor.post(f"{base}/resume").status_code == 409  # not paused
    assert as_editor.post(f"{base}/pause").status_code == 302
    assert as_editor.get(f"{base}/status.json").json["status"] == "paused"
    assert as_editor.post(f"{base}/pause").status_code == 409
    assert as_editor.post(f"{base}/resume").status_code == 302
    assert as_editor.get(f"{base}/status.json").json["status"] == "scheduled"
    assert as_editor.post(f"{base}/cancel").status_code == 302
    for action in ("pause", "resume", "cancel"):
        response = as_editor.post(f"{base}/{action}")
        assert response.status_code == 409
        assert "cancelled" in response.get_data(as_text=True)


def test_unknown_editions_are_404(as_editor):
    for path in ("/admin/editions/999", "/admin/editions/999/status.json",
                 "/admin/editions/999/preview"):
        assert as_editor.get(path).status_code == 404
    assert as_editor.post("/admin/editions/999/pause").status_code == 404


def test_delivery_errors_are_listed_with_the_server_answer(as_editor, db, runtime, work, smtp):
    smtp.handler.failures["cat@example.com"] = "550 5.1.1 No such user"
    edition = scheduled_edition(db, runtime, minutes=0)
    work()
    html = as_editor.get(f"/admin/editions/{edition.id}").get_data(as_text=True)
    assert "cat@example.com" in html and "5.1.1 No such user" in html


def test_the_preview_as_a_subscriber_shows_only_their_topics(as_editor, db, runtime):
    edition = scheduled_edition(db, runtime)
    html = as_editor.get(f"/admin/editions/{edition.id}/preview?email=ann@example.com") \
        .get_data(as_text=True)
    assert headlines(html) == ["World headline"]
    assert "/unsubscribe/…" in html  # where their links are, masked


def test_the_preview_after_sending_uses_the_copy_that_went_out(as_editor, db, runtime, work, smtp):
    edition = scheduled_edition(db, runtime, minutes=0)
    work()
    # the subscriber changes topics afterwards: the preview still shows what they got
    bob = db.scalar(select(Subscriber).where(Subscriber.email == "bob@example.com"))
    db.execute(delete(Subscription).where(Subscription.subscriber_id == bob.id))
    db.commit()
    sent = smtp.inbox("bob@example.com")[0].get_body(("html",)).get_content()
    html = as_editor.get(f"/admin/editions/{edition.id}/preview?email=bob@example.com") \
        .get_data(as_text=True)
    def unify(body: str) -> str:  # the reader's own links are masked in the preview
        body = re.sub(r"(/r/\d+\.\d+\.[A-Za-z0-9_-]+)\.\d+\.[A-Za-z0-9_-]+", r"\1", body)
        return re.sub(r"/(preferences|unsubscribe)/[^\s\"<]+", r"/\1/LINK",
                      body.replace("\r\n", "\n")).strip()

    assert unify(html) == unify(sent)
    assert headlines(html) == ["World headline", "Climate headline"]


def test_the_preview_for_a_topic_combination(as_editor, db, runtime):
    edition = scheduled_edition(db, runtime)
    response = as_editor.get(f"/admin/editions/{edition.id}/preview?topics=climate")
    html = response.get_data(as_text=True)
    assert headlines(html) == ["Climate headline"]
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    both = as_editor.get(f"/admin/editions/{edition.id}/preview").get_data(as_text=True)
    assert headlines(both) == ["World headline", "Climate headline"]


def test_a_preview_for_an_unknown_reader_or_topic_says_so(as_editor, db, runtime):
    edition = scheduled_edition(db, runtime)
    base = f"/admin/editions/{edition.id}/preview"
    assert as_editor.get(f"{base}?email=nobody@example.com").status_code == 404
    assert as_editor.get(f"{base}?email=not-an-email").status_code == 422
    assert as_editor.get(f"{base}?topics=nope").status_code == 422


def test_the_page_preview_frames_have_desktop_and_phone_widths(as_editor, db, runtime):
    edition = scheduled_edition(db, runtime)
    html = as_editor.get(f"/admin/editions/{edition.id}?preview_email=bob@example.com") \
        .get_data(as_text=True)
    assert 'class="preview-frame desktop"' in html and 'class="preview-frame phone"' in html
    assert f"/admin/editions/{edition.id}/preview?email=bob@example.com" in html


def test_a_test_send_of_the_edition_mails_every_topic_once(as_editor, db, runtime, smtp):
    edition = scheduled_edition(db, runtime)
    response = as_editor.post(f"/admin/editions/{edition.id}/test",
                              {"test_email": "desk@example.org"})
    assert response.status_code == 302
    [message] = smtp.inbox("desk@example.org")
    assert message["Subject"] == "[Test] Briefing"
    assert as_editor.post(f"/admin/editions/{edition.id}/test",
                          {"test_email": "bad@"}).status_code == 422
    assert len(smtp.messages) == 1
