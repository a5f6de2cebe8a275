"""Unsubscribing can be undone from the page shown afterwards, for a confirmed address only."""

from __future__ import annotations

from newsletter.models import SubscriberStatus
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import post_form, token


def test_resubscribe_restores_the_subscription_with_its_topics(client, db) -> None:
    row = make_subscriber(db, "back@example.com", [make_topic(db, "world")], status="unsubscribed")
    db.commit()
    page = f"/unsubscribe/{token(Purpose.UNSUBSCRIBE, row.id)}"
    assert "You are unsubscribed" in client.get(page).get_data(as_text=True)
    response = post_form(client, page, {}, action=f"{page}/undo")
    assert response.status_code == 302
    assert "You are subscribed again." in client.get(response.headers["Location"]).get_data(
        as_text=True)
    db.refresh(row)
    assert row.status == SubscriberStatus.ACTIVE and row.unsubscribed_at is None
    assert len(row.subscriptions) == 1


def test_an_address_that_never_confirmed_is_not_silently_activated(client, db) -> None:
    row = make_subscriber(db, "never@example.com", [make_topic(db)], status="pending")
    db.commit()
    page = f"/unsubscribe/{token(Purpose.UNSUBSCRIBE, row.id)}"
    client.post(page, data={"List-Unsubscribe": "One-Click"})
    response = post_form(client, page, {}, action=f"{page}/undo")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This address was never confirmed." in html
    db.refresh(row)
    assert row.status == SubscriberStatus.UNSUBSCRIBED


def test_the_preference_page_of_an_unsubscribed_reader_offers_the_way_back(client, db) -> None:
    row = make_subscriber(db, "gone@example.com", [make_topic(db)], status="unsubscribed")
    db.commit()
    html = client.get(f"/preferences/{token(Purpose.PREFERENCES, row.id)}").get_data(as_text=True)
    assert "You are unsubscribed" in html
    assert f'href="/unsubscribe/{token(Purpose.UNSUBSCRIBE, row.id)}"' in html
    assert "Unsubscribe from everything" not in html
