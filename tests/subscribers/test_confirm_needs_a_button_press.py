"""GET /confirm never changes state (link scanners prefetch it); POST confirms."""

from __future__ import annotations

from newsletter.models import SubscriberStatus
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import csrf_token, token


def test_opening_the_link_does_not_confirm_but_the_button_does(client, db) -> None:
    row = make_subscriber(db, "new@example.com", [make_topic(db)], status="pending")
    db.commit()
    url = f"/confirm/{token(Purpose.CONFIRM, row.id)}"

    for _ in range(3):
        page = client.get(url)
        assert page.status_code == 200
    db.refresh(row)
    assert row.status == SubscriberStatus.PENDING

    done = client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert done.status_code == 302
    assert done.headers["Location"].startswith("/preferences/")
    db.refresh(row)
    assert row.status == SubscriberStatus.ACTIVE and row.confirmed_at is not None
    landing = client.get(done.headers["Location"])
    assert "Your subscription is confirmed" in landing.get_data(as_text=True)


def test_an_already_confirmed_address_is_told_so_and_pointed_to_its_topics(client, db) -> None:
    row = make_subscriber(db, "done@example.com", [make_topic(db)], status="active")
    db.commit()
    html = client.get(f"/confirm/{token(Purpose.CONFIRM, row.id)}").get_data(as_text=True)
    assert "You are already subscribed" in html
    assert f'href="/preferences/{token(Purpose.PREFERENCES, row.id)}"' in html


def test_a_confirm_link_for_an_erased_subscriber_is_a_clear_404(client) -> None:
    response = client.get(f"/confirm/{token(Purpose.CONFIRM, 424242)}")
    assert response.status_code == 404
    assert "It may have been erased." in response.get_data(as_text=True)
