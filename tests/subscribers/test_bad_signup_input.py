"""Bad sign-up input gets the form back with a clear message (422): no row, no email, no 500."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from newsletter.models import Subscriber
from tests.factories import make_topic
from tests.subscribers.pages import sign_up


@pytest.fixture(autouse=True)
def topics(db) -> None:  # type: ignore[no-untyped-def]
    make_topic(db, "world")
    make_topic(db, "climate")
    db.commit()


BAD = [
    ("", ["world"], "Enter your email address."),
    ("   ", ["world"], "Enter your email address."),
    ("no-at-sign", ["world"], "That email address is not valid"),
    ("two@@example.com", ["world"], "That email address is not valid"),
    ("a@b", ["world"], "That email address is not valid"),
    ("x" * 250 + "@example.com", ["world"], "too long (at most 254 characters)"),
    ("x" * 400 + "@example.com", ["world"], "too long (at most 254 characters)"),
    ("ok@example.com\r\nBcc: victim@example.com", ["world"], "cannot contain line breaks"),
    ("ok@example.com\nX-Injected: 1", ["world"], "cannot contain line breaks"),
    ("ok@example.com\x00", ["world"], "cannot contain line breaks"),
    ("ok@example.com, other@example.com", ["world"], "That email address is not valid"),
    ('"Bob" <bob@example.com>', ["world"], "That email address is not valid"),
    ("jürgen@example.com", ["world"], "That email address is not valid"),
    ("🙂@example.com", ["world"], "That email address is not valid"),
    ("ok@example.com", [], "Choose at least one topic."),
    ("ok@example.com", ["nope"], "Unknown topic: nope. Choose from the list."),
    ("ok@example.com", ["world\x00"], "Unknown topic: world"),
    ("ok@example.com", ["w" * 5000], "Unknown topic: " + "w" * 64),
    ("ok@example.com", ["world"] * 300, "Too many topics in one request."),
]


@pytest.mark.parametrize(("email", "topics", "message"), BAD,
                         ids=[f"{i}-{e[:20]!r}" for i, (e, _, _) in enumerate(BAD)])
def test_bad_input_gets_the_form_back_with_a_clear_message(
    client, db, smtp, work, email: str, topics: list[str], message: str
) -> None:
    response = sign_up(client, email, topics)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'name="email"' in html, "the form comes back to fix the input"
    work()
    assert smtp.messages == []
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 0


@pytest.mark.parametrize(("email", "stored"), [
    ("Ann@Example.COM", "Ann@example.com"),
    ("  ann.b@example.com  ", "ann.b@example.com"),
    ("reader@bücher.example", "reader@xn--bcher-kva.example"),
    ("o'brien+news@example.co.uk", "o'brien+news@example.co.uk"),
])
def test_valid_addresses_are_normalized(client, db, work, email: str, stored: str) -> None:
    response = sign_up(client, email, ["world"])
    assert response.status_code == 200
    work()
    assert db.scalar(select(Subscriber.email)) == stored


def test_the_honeypot_pretends_success_but_stores_nothing(client, db, smtp, work) -> None:
    from tests.subscribers.pages import post_form

    response = post_form(client, "/subscribe", {
        "email": "bot@example.com", "topics": ["world"], "website": "http://spam.example"},
        follow=True)
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    work()
    assert smtp.messages == []
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 0
