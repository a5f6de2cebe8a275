"""Tokens are signed and bound to one purpose: no forging, no using one link for another job."""

from __future__ import annotations

import pytest

from newsletter.errors import InvalidToken
from newsletter.models import Subscriber, SubscriberStatus
from newsletter.subscribers.tokens import Purpose, Tokens
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import SECRET, token

tokens = Tokens(SECRET)


@pytest.mark.parametrize("made_for", list(Purpose))
@pytest.mark.parametrize("used_for", list(Purpose))
def test_a_token_reads_only_for_its_own_purpose(made_for: Purpose, used_for: Purpose) -> None:
    value = tokens.make(made_for, 42)
    if made_for == used_for:
        assert tokens.read(used_for, value) == 42
    else:
        with pytest.raises(InvalidToken):
            tokens.read(used_for, value)


@pytest.mark.parametrize("purpose", list(Purpose))
def test_a_token_signed_with_another_key_is_refused(purpose: Purpose) -> None:
    with pytest.raises(InvalidToken):
        tokens.read(purpose, Tokens("some-other-secret").make(purpose, 42))


@pytest.mark.parametrize("garbage", [
    "", "x", "42", "eyJhIjoxfQ", "a.b.c", "Ii4uIg.AAAA", "\x00", "%00", "A" * 5000, "🙂.🙂",
])
@pytest.mark.parametrize("purpose", list(Purpose))
def test_garbage_is_refused(purpose: Purpose, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        tokens.read(purpose, garbage)


def test_a_tampered_payload_keeps_its_signature_but_is_refused() -> None:
    value = tokens.make(Purpose.UNSUBSCRIBE, 7)
    payload, signature = value.rsplit(".", 1)
    other = tokens.make(Purpose.UNSUBSCRIBE, 8).rsplit(".", 1)[0]
    assert other != payload
    with pytest.raises(InvalidToken):
        tokens.read(Purpose.UNSUBSCRIBE, f"{other}.{signature}")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    with pytest.raises(InvalidToken):
        tokens.read(Purpose.UNSUBSCRIBE, f"{payload}.{flipped}")


@pytest.fixture
def pending(db) -> Subscriber:  # type: ignore[no-untyped-def]
    row = make_subscriber(db, "pending@example.com", [make_topic(db)], status="pending")
    db.commit()
    return row


def test_a_confirm_token_cannot_unsubscribe_and_an_unsubscribe_token_cannot_confirm(
    client, db, pending: Subscriber
) -> None:
    confirm, unsubscribe = token(Purpose.CONFIRM, pending.id), token(Purpose.UNSUBSCRIBE, pending.id)
    assert client.post(f"/unsubscribe/{confirm}",
                       data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert client.get(f"/unsubscribe/{confirm}").status_code == 400
    assert client.get(f"/confirm/{unsubscribe}").status_code == 400
    assert client.get(f"/preferences/{unsubscribe}").status_code == 400
    assert client.get(f"/preferences/{confirm}").status_code == 400
    db.refresh(pending)
    assert pending.status == SubscriberStatus.PENDING


@pytest.mark.parametrize("path", ["/confirm/{}", "/preferences/{}", "/unsubscribe/{}"])
@pytest.mark.parametrize("bad", ["garbage", "MQ.invalid-signature", "A" * 3000])
def test_a_bad_link_shows_a_clear_page_not_a_crash(client, path: str, bad: str) -> None:
    response = client.get(path.format(bad))
    assert response.status_code == 400
    assert "This link is not valid." in response.get_data(as_text=True)
