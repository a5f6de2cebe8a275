"""After signing up: the address typed, a resend button, and no re-post on refresh."""

from __future__ import annotations

from sqlalchemy import func, select

from newsletter.models import Subscriber
from tests.factories import make_topic
from tests.subscribers.pages import csrf_token, post_form, sign_up


def test_sign_up_redirects_so_a_refresh_does_not_post_again(client, db):
    make_topic(db, "world")
    db.commit()
    response = post_form(client, "/subscribe", {"email": "reader@example.com",
                                                "topics": ["world"]})
    assert response.status_code == 303
    assert response.headers["Location"] == "/subscribe/check-inbox"
    assert "reader@example.com" not in response.headers["Location"]


def test_check_inbox_shows_the_address_typed(client, db):
    make_topic(db, "world")
    db.commit()
    page = sign_up(client, "Reader@Example.com", ["world"]).get_data(as_text=True)
    assert "Check your inbox" in page
    assert "Reader@example.com" in page  # as it will be written to (domain in lower case)
    assert "Send the email again" in page


def test_resend_sends_the_confirmation_again(client, db, smtp, work):
    make_topic(db, "world")
    db.commit()
    page = sign_up(client, "again@example.com", ["world"]).get_data(as_text=True)
    work()
    assert len(smtp.inbox("again@example.com")) == 1

    response = client.post("/subscribe/resend", data={"csrf_token": csrf_token(page)},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Sent again" in response.get_data(as_text=True)
    work()
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 1
    assert len(smtp.inbox("again@example.com")) >= 1
    assert smtp.messages[-1].rcpt_tos == ["again@example.com"]


def test_resend_without_a_sign_up_goes_back_to_the_form(client, db, smtp, work):
    page = client.get("/subscribe").get_data(as_text=True)  # a CSRF token, but no sign-up
    response = client.post("/subscribe/resend", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303 and response.headers["Location"] == "/subscribe"
    work()
    assert smtp.messages == []


def test_an_empty_sign_up_shows_every_error_at_once(client, db):
    make_topic(db, "world")
    db.commit()
    response = post_form(client, "/subscribe", {"email": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Enter your email address." in body
    assert "Choose at least one topic." in body


def test_a_bad_address_and_no_topic_are_both_reported(client, db):
    make_topic(db, "world")
    db.commit()
    body = post_form(client, "/subscribe", {"email": "not-an-address"}).get_data(as_text=True)
    assert 'id="email-errors"' in body and 'id="topics-errors"' in body
