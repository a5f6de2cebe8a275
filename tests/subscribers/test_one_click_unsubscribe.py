"""RFC 8058 one-click: a bare POST from a mail client unsubscribes at once, answers 200."""

from __future__ import annotations

from newsletter.models import SubscriberStatus
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import token

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def test_one_click_is_immediate_idempotent_and_sets_no_cookie(app, db) -> None:
    row = make_subscriber(db, "leaving@example.com", [make_topic(db)])
    db.commit()
    url = f"/unsubscribe/{token(Purpose.UNSUBSCRIBE, row.id)}"
    client = app.test_client(use_cookies=False)
    for _ in range(2):
        response = client.post(url, data=ONE_CLICK)
        assert response.status_code == 200
        assert "Location" not in response.headers
        assert "Set-Cookie" not in response.headers
        db.refresh(row)
        assert row.status == SubscriberStatus.UNSUBSCRIBED
    assert row.subscriptions, "topics are kept so that resubscribing can undo it"


def test_one_click_for_an_erased_subscriber_still_answers_200(app) -> None:
    response = app.test_client(use_cookies=False).post(
        f"/unsubscribe/{token(Purpose.UNSUBSCRIBE, 987654)}", data=ONE_CLICK)
    assert response.status_code == 200


def test_the_unsubscribe_page_asks_first_and_changes_nothing(client, db) -> None:
    row = make_subscriber(db, "staying@example.com", [make_topic(db)])
    db.commit()
    page = client.get(f"/unsubscribe/{token(Purpose.UNSUBSCRIBE, row.id)}")
    assert page.status_code == 200
    assert "Unsubscribe?" in page.get_data(as_text=True)
    db.refresh(row)
    assert row.status == SubscriberStatus.ACTIVE
