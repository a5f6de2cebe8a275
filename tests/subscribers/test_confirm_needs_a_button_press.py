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
