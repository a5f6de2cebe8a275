"""Confirm links last 7 days; an old one leads to a page that sends a fresh link."""

from __future__ import annotations

import time

import pytest
from itsdangerous.timed import TimestampSigner

from newsletter.models import SubscriberStatus
from newsletter.subscribers.tokens import CONFIRM_MAX_AGE, ExpiredToken, Purpose, Tokens
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import SECRET, csrf_token


def old_token(monkeypatch, purpose: Purpose, subscriber_id: int, age: int) -> str:  # type: ignore[no-untyped-def]
    """A token signed `age` seconds ago: the signer's clock is moved back while signing."""
    signed_at = int(time.time()) - age
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at)
        return Tokens(SECRET).make(purpose, subscriber_id)


def test_a_confirm_token_older_than_seven_days_is_expired(monkeypatch) -> None:
    value = old_token(monkeypatch, Purpose.CONFIRM, 5, CONFIRM_MAX_AGE + 60)
    with pytest.raises(ExpiredToken) as caught:
        Tokens(SECRET).read(Purpose.CONFIRM, value)
    assert caught.value.subscriber_id == 5


def test_a_confirm_token_six_days_old_still_works(monkeypatch) -> None:
    value = old_token(monkeypatch, Purpose.CONFIRM, 5, CONFIRM_MAX_AGE - 24 * 3600)
    assert Tokens(SECRET).read(Purpose.CONFIRM, value) == 5


def test_unsubscribe_tokens_never_expire(monkeypatch) -> None:
    value = Tokens(SECRET).make(Purpose.UNSUBSCRIBE, 5)
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)  # the year 2096
    assert Tokens(SECRET).read(Purpose.UNSUBSCRIBE, value) == 5


def test_an_expired_link_offers_a_new_email_and_sends_it(
    client, db, smtp, work, monkeypatch
) -> None:
    row = make_subscriber(db, "late@example.com", [make_topic(db)], status="pending")
    db.commit()
    url = f"/confirm/{old_token(monkeypatch, Purpose.CONFIRM, row.id, 8 * 24 * 3600)}"

    page = client.get(url)
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert "This confirmation link has expired" in html and "Send me a new link" in html

    sent = client.post(url, data={"csrf_token": csrf_token(html)})
    assert sent.status_code == 200
    assert "Check your inbox" in sent.get_data(as_text=True)
    work()
    [mail] = smtp.inbox("late@example.com")
    assert mail["Subject"].startswith("Confirm your subscription")
    db.refresh(row)
    assert row.status == SubscriberStatus.PENDING


def test_an_expired_link_for_an_active_subscriber_sends_nothing(
    client, db, smtp, work, monkeypatch
) -> None:
    row = make_subscriber(db, "done@example.com", [make_topic(db)], status="active")
    db.commit()
    url = f"/confirm/{old_token(monkeypatch, Purpose.CONFIRM, row.id, 8 * 24 * 3600)}"
    html = client.get(url).get_data(as_text=True)
    assert client.post(url, data={"csrf_token": csrf_token(html)}).status_code == 200
    work()
    assert smtp.inbox("done@example.com") == []
