"""A reader's links can be revoked (admin action); erased readers' links stay dead after they
sign up again. Old links then answer a clear 4xx page, never a 500 or someone's data."""

from __future__ import annotations

import re

from sqlalchemy import select

from newsletter.models import Subscriber, SubscriberStatus
from newsletter.subscribers.tokens import Purpose, Tokens
from tests.factories import make_editor, make_subscriber, make_topic
from tests.subscribers.pages import SECRET, csrf_token, post_form, sign_up, token
from tests.support.admin import Browser, log_in


def _revoke_as_admin(app, db, subscriber_id: int) -> None:  # type: ignore[no-untyped-def]
    make_editor(db, "root@newsroom.example", role="admin")
    db.commit()
    client = app.test_client()
    log_in(client, "root@newsroom.example")
    page = client.get(f"/admin/subscribers/{subscriber_id}").get_data(as_text=True)
    action = f"/admin/subscribers/{subscriber_id}/revoke-links"
    assert f'action="{action}"' in page and "Revoke this reader" in page
    response = Browser(client).post(action)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/subscribers/{subscriber_id}")


def test_links_made_before_versions_existed_still_work(client, db) -> None:
    """Version 0 is the bare id: every link already sent keeps working."""
    row = make_subscriber(db, "old@example.com", [make_topic(db)])
    db.commit()
    assert Tokens(SECRET).make(Purpose.PREFERENCES, row.id, 0) == token(Purpose.PREFERENCES, row.id)
    assert client.get(f"/preferences/{token(Purpose.PREFERENCES, row.id)}").status_code == 200


def test_revoking_a_readers_links_ends_every_old_link_with_a_clear_page(app, client, db) -> None:
    row = make_subscriber(db, "forwarded@example.com", [make_topic(db)])
    db.commit()
    old = {p: token(p, row.id) for p in Purpose}
    _revoke_as_admin(app, db, row.id)

    for path in (f"/preferences/{old[Purpose.PREFERENCES]}", f"/unsubscribe/{old[Purpose.UNSUBSCRIBE]}",
                 f"/confirm/{old[Purpose.CONFIRM]}"):
        response = client.get(path)
        assert response.status_code == 410, path
        html = response.get_data(as_text=True)
        assert "no longer valid" in html and "forwarded@example.com" not in html
    one_click = client.post(f"/unsubscribe/{old[Purpose.UNSUBSCRIBE]}",
                            data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 400
    db.refresh(row)
    assert row.status == SubscriberStatus.ACTIVE and row.token_version == 1

    new = Tokens(SECRET).make(Purpose.PREFERENCES, row.id, 1)
    assert client.get(f"/preferences/{new}").status_code == 200


def test_revoked_links_cannot_post_either(app, client, db) -> None:
    row = make_subscriber(db, "posted@example.com", [make_topic(db)])
    db.commit()
    page = f"/preferences/{token(Purpose.PREFERENCES, row.id)}"
    html = client.get(page).get_data(as_text=True)  # the form was open before the revoke
    _revoke_as_admin(app, db, row.id)
    response = client.post(f"{page}/erase", data={"confirm": "y", "csrf_token": csrf_token(html)})
    assert response.status_code == 410
    db.expire_all()
    assert db.get(Subscriber, row.id) is not None


def test_the_next_email_after_a_revoke_carries_working_links(app, client, db, smtp, work) -> None:
    row = make_subscriber(db, "fresh@example.com", [make_topic(db, "world")])
    db.commit()
    _revoke_as_admin(app, db, row.id)
    sign_up(client, "fresh@example.com", ["world"])  # an active reader gets "manage your topics"
    work()
    [mail] = smtp.inbox("fresh@example.com")
    url = re.search(r"https://news\.example\.test(/preferences/[^\s]+)",
                    mail.get_body(("plain",)).get_content()).group(1)
    assert client.get(url).status_code == 200
    unsubscribe = mail["List-Unsubscribe"].strip("<>").removeprefix("https://news.example.test")
    assert client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200


def test_only_admins_may_revoke_a_readers_links(app, db) -> None:
    row = make_subscriber(db, "kept@example.com", [make_topic(db)])
    make_editor(db, "plain@newsroom.example")
    db.commit()
    client = app.test_client()
    log_in(client, "plain@newsroom.example")
    assert "Revoke this reader" not in client.get(f"/admin/subscribers/{row.id}").get_data(
        as_text=True)
    assert Browser(client).post(f"/admin/subscribers/{row.id}/revoke-links").status_code == 403
    db.refresh(row)
    assert row.token_version == 0


def test_links_of_an_erased_reader_stay_dead_after_they_sign_up_again(client, db, work) -> None:
    row = make_subscriber(db, "again@example.com", [make_topic(db, "world")])
    db.commit()
    old_id, old = row.id, token(Purpose.PREFERENCES, row.id)
    post_form(client, f"/preferences/{old}", {"confirm": "y"}, action=f"/preferences/{old}/erase")
    sign_up(client, "again@example.com", ["world"])
    work()
    db.expire_all()
    assert db.scalar(select(Subscriber.id).where(Subscriber.email_key == "again@example.com")) \
        not in (None, old_id)
    response = client.get(f"/preferences/{old}")
    assert response.status_code == 404
    assert "again@example.com" not in response.get_data(as_text=True)


def test_an_edition_sent_after_a_revoke_carries_links_of_the_new_generation(
    app, client, db, runtime, smtp
) -> None:
    from tests.support.delivery import Sender, bulk_subscribers, scheduled_edition, start

    topic = make_topic(db)
    [email] = bulk_subscribers(db, 1, [topic], prefix="revoked")
    row = db.scalars(select(Subscriber).where(Subscriber.email == email)).one()
    old = token(Purpose.UNSUBSCRIBE, row.id)
    db.commit()
    _revoke_as_admin(app, db, row.id)
    edition_id = scheduled_edition(db, [topic])
    start(runtime, edition_id)
    Sender(runtime, smtp.url).drain(edition_id)

    [mail] = smtp.inbox(email)
    fresh = mail["List-Unsubscribe"].strip("<>").removeprefix("https://news.example.test")
    assert fresh != f"/unsubscribe/{old}"
    assert client.post(f"/unsubscribe/{old}", data={"List-Unsubscribe": "One-Click"}
                       ).status_code == 400
    assert client.post(fresh, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    db.refresh(row)
    assert row.status == SubscriberStatus.UNSUBSCRIBED
