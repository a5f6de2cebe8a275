"""A broken link is not a dead end: the page offers a new link by email."""

from __future__ import annotations

from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import csrf_token


def test_a_tampered_link_offers_a_new_link_by_email(client):
    response = client.get("/preferences/not-a-real-token")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "This link does not work" in body
    assert "Get a new link by email" in body
    assert 'action="/links/new"' in body


def test_asking_for_a_new_link_emails_a_reader_their_preferences_link(client, db, smtp, work):
    topic = make_topic(db, "world")
    make_subscriber(db, "reader@example.com", [topic], status="active")
    db.commit()
    page = client.get("/preferences/broken").get_data(as_text=True)

    response = client.post("/links/new", data={"email": "reader@example.com",
                                               "csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/subscribe/check-inbox"
    work()
    (message,) = smtp.inbox("reader@example.com")
    assert "/preferences/" in message.get_body(("plain",)).get_content()


def test_asking_for_a_new_link_for_an_unknown_address_sends_nothing_and_looks_the_same(
        client, db, smtp, work):
    page = client.get("/links/new").get_data(as_text=True)
    response = client.post("/links/new", data={"email": "nobody@example.com",
                                               "csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/subscribe/check-inbox"
    work()
    assert smtp.messages == []


def test_a_new_link_request_without_an_address_says_so(client):
    page = client.get("/links/new").get_data(as_text=True)
    response = client.post("/links/new", data={"email": "", "csrf_token": csrf_token(page)})
    assert response.status_code == 422
    assert "Enter your email address." in response.get_data(as_text=True)
