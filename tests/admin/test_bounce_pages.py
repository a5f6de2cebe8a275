"""Returned mail as editors see it: a reader's bounce log, edition counts, list health."""

from __future__ import annotations

from newsletter.bounces.classify import Classification, Recipient
from newsletter.bounces.intake import Match, record
from newsletter.bounces.policy import BouncePolicy
from newsletter.models import Delivery, utcnow
from tests.factories import make_subscriber, make_topic
from tests.support.delivery import bulk_subscribers, scheduled_edition, start


def returned(db, subscriber_id: int, kind: str, recipient: Recipient, edition_id=None,
             n: int = 0) -> None:
    record(db, Classification(kind=kind, recipients=[recipient]), f"digest-{subscriber_id}-{n}",
           source="api", policy=BouncePolicy(), match=Match(subscriber_id, edition_id, "verp"))
    db.commit()


def test_subscriber_page_shows_status_topics_and_bounce_log(db, as_editor):
    topic = make_topic(db, "climate")
    person = make_subscriber(db, "gone@example.org", [topic])
    db.commit()
    returned(db, person.id, "bounce", Recipient("gone@example.org", "5.1.1", True, "userunknown",
                                                "550 5.1.1 The email account does not exist"))
    page = as_editor.get(f"/admin/subscribers/{person.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "badge-bounced" in html
    log = html[html.index('id="bounce-log"'):]
    assert "userunknown" in log and "(hard)" in log and "The email account does not exist" in log
    assert "bounced" in log  # the effect it had


def test_subscriber_page_says_when_nothing_came_back(db, as_editor):
    person = make_subscriber(db, "fine@example.org")
    db.commit()
    html = as_editor.get(f"/admin/subscribers/{person.id}").get_data(as_text=True)
    assert "Nothing came back for this reader." in html


def sent_edition(db, runtime, copies: int) -> tuple[int, list[int]]:
    topic = make_topic(db)
    emails = bulk_subscribers(db, copies, [topic], prefix="health")
    edition_id = scheduled_edition(db, [topic])
    start(runtime, edition_id)
    db.execute(Delivery.__table__.update().where(Delivery.edition_id == edition_id)
               .values(status="sent", sent_at=utcnow()))
    db.commit()
    ids = [row.subscriber_id for row in db.query(Delivery.subscriber_id)
           .filter(Delivery.edition_id == edition_id).order_by(Delivery.subscriber_id)]
    assert len(ids) == len(emails)
    return edition_id, ids


def test_edition_page_shows_bounced_and_complained_counts(db, runtime, as_editor):
    edition_id, ids = sent_edition(db, runtime, 10)
    returned(db, ids[0], "bounce", Recipient("health0@example.com", "5.1.1", True, "userunknown"),
             edition_id)
    returned(db, ids[1], "complaint", Recipient("health1@example.com", "", False, "feedback"),
             edition_id)
    html = as_editor.get(f"/admin/editions/{edition_id}").get_data(as_text=True)
    assert '<b data-stat="bounced">1</b>' in html and '<b data-stat="complained">1</b>' in html
    assert 'data-stat="bounce_rate">10.0%' in html


def test_dashboard_list_health_names_the_provider_limit_that_was_passed(db, runtime, as_editor):
    edition_id, ids = sent_edition(db, runtime, 100)
    for n, sid in enumerate(ids[:6]):
        returned(db, sid, "bounce", Recipient(f"health{n}@example.com", "5.1.1", True, "userunknown"),
                 edition_id)
    returned(db, ids[50], "complaint", Recipient("health50@example.com", "", False, "feedback"),
             edition_id)
    html = as_editor.get("/admin/").get_data(as_text=True)
    health = html[html.index('id="list-health"'):html.index("</section>", html.index('id="list-health"'))]
    bounces = health[health.index('data-health="hard-bounces"'):health.index('data-health="complaints"')]
    complaints = health[health.index('data-health="complaints"'):]
    assert "6.00%" in bounces and "Amazon SES reviews the account</span>" in bounces
    assert "1.00%" in complaints and "Amazon SES pauses sending</span>" in complaints


def test_dashboard_list_health_is_within_limits_with_no_returns(db, runtime, as_editor):
    sent_edition(db, runtime, 5)
    html = as_editor.get("/admin/").get_data(as_text=True)
    assert html.count("within limits") == 2


