"""Every public form refuses a POST without its CSRF token, except RFC 8058 one-click."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from newsletter.models import Subscriber, SubscriberStatus
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import token


@pytest.fixture
def subscriber(db):  # type: ignore[no-untyped-def]
    row = make_subscriber(db, "reader@example.com", [make_topic(db, "world")], status="pending")
    db.commit()
    return row


FORMS = [
    ("/subscribe", {"email": "someone@example.com", "topics": "world"}),
    ("/confirm/{confirm}", {}),
    ("/preferences/{preferences}", {"topics": "world"}),
    ("/preferences/{preferences}/pause", {"pause": "1"}),
    ("/preferences/{preferences}/resume", {}),
    ("/preferences/{preferences}/export", {}),
    ("/preferences/{preferences}/erase", {"confirm": "y"}),
    ("/unsubscribe/{unsubscribe}", {}),
    ("/unsubscribe/{unsubscribe}", {"List-Unsubscribe": "Something-Else"}),
    ("/unsubscribe/{unsubscribe}/undo", {}),
]


@pytest.mark.parametrize(("path", "data"), FORMS)
@pytest.mark.parametrize("csrf", [None, "forged-token"])
def test_a_form_post_without_a_valid_csrf_token_is_refused(
    client, db, subscriber, path: str, data: dict, csrf: str | None
) -> None:
    url = path.format(**{p.value: token(p, subscriber.id) for p in Purpose})
    client.get("/subscribe")  # the visitor has a session, just not the right token
    body = dict(data, **({"csrf_token": csrf} if csrf else {}))
    response = client.post(url, data=body)
    assert response.status_code == 400
    assert "Reload and try again" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Subscriber, subscriber.id).status == SubscriberStatus.PENDING
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 1


def test_one_click_unsubscribe_needs_no_csrf_token(client, db, subscriber) -> None:
    response = client.post(f"/unsubscribe/{token(Purpose.UNSUBSCRIBE, subscriber.id)}",
                           data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.refresh(subscriber)
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
