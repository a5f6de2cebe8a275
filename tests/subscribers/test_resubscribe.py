"""Unsubscribing can be undone once, for a day, by whoever pressed the button; any other way
back goes through a fresh confirmation email (the unsubscribe URL is in every email header)."""

from __future__ import annotations

import re
import time

from itsdangerous.timed import TimestampSigner

from newsletter.models import SubscriberStatus
from newsletter.subscribers.tokens import UNDO_MAX_AGE, Purpose
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import csrf_token, post_form, token


def undo_field(html: str) -> str:
    match = re.search(r'name="undo" value="([^"]+)"', html)
    assert match, "no undo on the page"
    return match.group(1)


def unsubscribe_by_button(client, subscriber_id: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Press Unsubscribe on the page; the page and the undo value it shows."""
    page = f"/unsubscribe/{token(Purpose.UNSUBSCRIBE, subscriber_id)}"
    done = post_form(client, page, {})
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "You are unsubscribed" in html
    return page, html


def press_undo(client, page: str, html: str, undo: str | None):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_token(html)}
    if undo is not None:
        data["undo"] = undo
    return client.post(f"{page}/undo", data=data)


def test_undo_right_after_unsubscribing_restores_the_subscription_with_its_topics(
    client, db
) -> None:
    row = make_subscriber(db, "back@example.com", [make_topic(db, "world")])
    db.commit()
    page, html = unsubscribe_by_button(client, row.id)
    response = press_undo(client, page, html, undo_field(html))
    assert response.status_code == 302
    assert "You are subscribed again." in client.get(response.headers["Location"]).get_data(
        as_text=True)
    db.refresh(row)
    assert row.status == SubscriberStatus.ACTIVE and row.unsubscribed_at is None
    assert len(row.subscriptions) == 1


def test_the_undo_works_only_once(client, db, smtp, work) -> None:
    row = make_subscriber(db, "once@example.com", [make_topic(db)])
    db.commit()
    page, html = unsubscribe_by_button(client, row.id)
    undo = undo_field(html)
    assert press_undo(client, page, html, undo).status_code == 302
    client.post(page, data={"List-Unsubscribe": "One-Click"})  # leaves again later

    again = press_undo(client, page, html, undo)
    assert again.status_code == 200
    assert "confirm with the link we are sending" in again.get_data(as_text=True)
    db.refresh(row)
    assert row.status == SubscriberStatus.UNSUBSCRIBED
    work()
    [mail] = smtp.inbox("once@example.com")
    assert mail["Subject"].startswith("Confirm your subscription")


def test_the_undo_expires_after_a_day(client, db, monkeypatch) -> None:
    row = make_subscriber(db, "slow@example.com", [make_topic(db)])
    db.commit()
    signed_at = int(time.time()) - UNDO_MAX_AGE - 60
    with monkeypatch.context() as m:  # the page was shown a day and a minute ago
        m.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at)
        page, html = unsubscribe_by_button(client, row.id)
    fresh_form = client.get(page).get_data(as_text=True)  # only the undo is old, not the form
    response = press_undo(client, page, fresh_form, undo_field(html))
    assert response.status_code == 200
    db.refresh(row)
    assert row.status == SubscriberStatus.UNSUBSCRIBED


def test_the_unsubscribe_link_alone_brings_nobody_back_without_a_confirmation(
    client, db, smtp, work
) -> None:
    """Anyone who saw the List-Unsubscribe header has the link; it must not resubscribe."""
    row = make_subscriber(db, "header@example.com", [make_topic(db, "world")])
    first_consent = row.confirmed_at
    db.commit()
    page = f"/unsubscribe/{token(Purpose.UNSUBSCRIBE, row.id)}"
    client.post(page, data={"List-Unsubscribe": "One-Click"})
    html = client.get(page).get_data(as_text=True)
    assert 'name="undo"' not in html and "Subscribe again" in html

    response = press_undo(client, page, html, None)
    assert response.status_code == 200
    db.refresh(row)
    assert row.status == SubscriberStatus.UNSUBSCRIBED

    work()
    [mail] = smtp.inbox("header@example.com")
    confirm = re.search(r"https://news\.example\.test(/confirm/[^\s]+)", mail.get_body(
        ("plain",)).get_content()).group(1)
    post_form(client, confirm, {})
    db.refresh(row)
    assert row.status == SubscriberStatus.ACTIVE
    assert row.confirmed_at > first_consent  # the new consent is on record


def test_an_undo_made_for_one_reader_does_not_work_for_another(client, db) -> None:
    topic = make_topic(db)
    ann = make_subscriber(db, "ann@example.com", [topic])
    bob = make_subscriber(db, "bob@example.com", [topic], status="unsubscribed")
    db.commit()
    _page, html = unsubscribe_by_button(client, ann.id)
    bob_page = f"/unsubscribe/{token(Purpose.UNSUBSCRIBE, bob.id)}"
    press_undo(client, bob_page, html, undo_field(html))
    db.refresh(bob)
    assert bob.status == SubscriberStatus.UNSUBSCRIBED


def test_an_address_that_never_confirmed_is_not_silently_activated(client, db) -> None:
    row = make_subscriber(db, "never@example.com", [make_topic(db)], status="pending")
    db.commit()
    page, html = unsubscribe_by_button(client, row.id)
    response = press_undo(client, page, html, undo_field(html))
    assert response.status_code == 200
    db.refresh(row)
    assert row.status == SubscriberStatus.UNSUBSCRIBED


def test_the_preference_page_of_an_unsubscribed_reader_offers_the_way_back(client, db) -> None:
    row = make_subscriber(db, "gone@example.com", [make_topic(db)], status="unsubscribed")
    db.commit()
    html = client.get(f"/preferences/{token(Purpose.PREFERENCES, row.id)}").get_data(as_text=True)
    assert "You are unsubscribed" in html
    assert f'href="/unsubscribe/{token(Purpose.UNSUBSCRIBE, row.id)}"' in html
    assert "Unsubscribe from everything" not in html
