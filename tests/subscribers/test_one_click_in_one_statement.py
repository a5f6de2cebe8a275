"""The RFC 8058 one-click POST is one statement on PostgreSQL (subscribers/one_click.py):
no transaction of its own, the same rows the general path writes (reader and webhook
calls, byte for byte), the edition credited only to its readers, forged, tampered and
revoked links refused, and a second POST writing nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from newsletter.editorial.editions import create_edition
from newsletter.models import Delivery, Subscriber, SubscriberStatus, WebhookCall, utcnow
from newsletter.subscribers import access, one_click, service
from newsletter.subscribers.tokens import Purpose, Tokens
from newsletter.webhooks import endpoints
from newsletter.webhooks import events as webhooks
from tests.factories import make_subscriber, make_topic, make_update
from tests.subscribers.pages import SECRET, token
from tests.support.round_trips import counting

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
READER_COLUMNS = ("status", "unsubscribed_at", "unsubscribed_edition_id", "next_briefing_at",
                  "token_version", "email", "confirmed_at")
CALL_COLUMNS = ("endpoint_id", "event", "body", "created_at", "next_attempt_at", "status",
                "attempts", "last_error", "last_response", "last_attempt_at", "delivered_at")


@pytest.fixture
def hook(db):  # type: ignore[no-untyped-def]
    """An endpoint that wants unsubscribes, and one that does not."""
    wanted = endpoints.register(db, "http://127.0.0.1:9/left", ["subscriber.unsubscribed"],
                                "a-long-enough-shared-secret", allow_private=True)
    endpoints.register(db, "http://127.0.0.1:9/other", ["subscriber.confirmed"],
                       "a-long-enough-shared-secret", allow_private=True)
    db.commit()
    return wanted


def _sent(db, reader: Subscriber) -> int:  # type: ignore[no-untyped-def]
    """An edition this reader was sent a copy of."""
    topic = make_topic(db)
    edition = create_edition(db, "Monday", [make_update(db, topic).id], utcnow())
    db.flush()
    db.add(Delivery(edition_id=edition.id, subscriber_id=reader.id, topics_mask=1,
                    status="sent", sent_at=utcnow() - timedelta(hours=1)))
    db.commit()
    return edition.id


def _path(reader_id: int, edition_id: int | None = None) -> str:
    query = f"?e={edition_id}" if edition_id is not None else ""
    return f"/unsubscribe/{token(Purpose.UNSUBSCRIBE, reader_id)}{query}"


def _reader(db, reader_id: int) -> dict:  # type: ignore[no-untyped-def]
    db.expire_all()
    row = db.get(Subscriber, reader_id)
    return {c: getattr(row, c) for c in READER_COLUMNS}


def _calls(db) -> list[dict]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return [{c: getattr(call, c) for c in CALL_COLUMNS}
            for call in db.scalars(select(WebhookCall).order_by(WebhookCall.id))]


def test_a_one_click_post_is_one_statement_outside_any_transaction(app, db, hook) -> None:
    reader = make_subscriber(db, "leaving@example.com", [make_topic(db)])
    db.commit()
    edition_id = _sent(db, reader)
    client = app.test_client(use_cookies=False)
    client.post(_path(make_subscriber(db).id), data=ONE_CLICK)  # the pool is warm
    db.commit()
    with counting() as trips:
        response = client.post(_path(reader.id, edition_id), data=ONE_CLICK)
    assert response.status_code == 200 and response.get_data() == b"unsubscribed\n"
    # the pool's pre-ping of the connection it lends (";"), then the one statement
    assert [s.split()[0] for s in trips.statements] == [";", "WITH"]
    assert trips.transaction == []  # autocommit: no BEGIN, no COMMIT
    assert trips.redis == []
    assert _reader(db, reader.id)["status"] == SubscriberStatus.UNSUBSCRIBED
    assert len(_calls(db)) == 1


def test_it_writes_exactly_what_the_general_path_writes(app, runtime, db, hook) -> None:
    reader = make_subscriber(db, 'o\'brien+"quoted"\\back/slash@example.com', [make_topic(db)],
                             timezone="Europe/Paris", cadence="daily",
                             next_briefing_at=utcnow() + timedelta(hours=3))
    db.commit()
    edition_id = _sent(db, reader)
    before = {c: getattr(reader, c) for c in ("status", "unsubscribed_at",
                                              "unsubscribed_edition_id", "next_briefing_at")}
    now = utcnow().replace(microsecond=123456)
    claim = Tokens(SECRET).claim(Purpose.UNSUBSCRIBE, token(Purpose.UNSUBSCRIBE, reader.id))

    outcome = one_click.unsubscribe(runtime.engine, claim, edition_id, now=now)
    assert outcome == one_click.Outcome.UNSUBSCRIBED
    fast_reader, fast_calls = _reader(db, reader.id), _calls(db)
    row = db.get(Subscriber, reader.id)
    assert row.updated_at == now  # the ORM path stamps its own flush time here

    for name, value in before.items():  # back as it was, then the general path
        setattr(row, name, value)
    db.execute(WebhookCall.__table__.delete())
    db.commit()
    service.unsubscribe(db, reader.id, now=now, edition_id=edition_id)
    db.commit()

    assert fast_reader == _reader(db, reader.id)
    assert fast_reader["unsubscribed_edition_id"] == edition_id
    assert fast_reader["next_briefing_at"] is None
    assert fast_calls == _calls(db) and len(fast_calls) == 1
    assert json.loads(fast_calls[0]["body"])["data"]["email"] == reader.email


def test_an_edition_the_reader_was_not_sent_is_not_credited(app, db) -> None:
    reader = make_subscriber(db, "dan@example.com")
    other = make_subscriber(db, "eve@example.com")
    db.commit()
    edition_id = _sent(db, other)
    response = app.test_client().post(_path(reader.id, edition_id), data=ONE_CLICK)
    assert response.status_code == 200
    left = _reader(db, reader.id)
    assert left["status"] == SubscriberStatus.UNSUBSCRIBED
    assert left["unsubscribed_edition_id"] is None


def test_a_second_post_writes_nothing(app, db, hook) -> None:
    reader = make_subscriber(db, "twice@example.com")
    db.commit()
    client = app.test_client(use_cookies=False)
    assert client.post(_path(reader.id), data=ONE_CLICK).get_data() == b"unsubscribed\n"
    first = _reader(db, reader.id)
    assert client.post(_path(reader.id), data=ONE_CLICK).get_data() == b"unsubscribed\n"
    assert _reader(db, reader.id) == first  # same moment: not unsubscribed again
    assert len(_calls(db)) == 1


def _tampered(value: str) -> str:
    last = "A" if value[-1] != "A" else "B"
    return value[:-1] + last


@pytest.mark.parametrize("make", [
    pytest.param(lambda rid: _tampered(token(Purpose.UNSUBSCRIBE, rid)), id="tampered"),
    pytest.param(lambda rid: Tokens("another-secret").make(Purpose.UNSUBSCRIBE, rid),
                 id="forged"),
    pytest.param(lambda rid: token(Purpose.PREFERENCES, rid), id="other-purpose"),
    pytest.param(lambda rid: "not-a-token", id="garbage"),
])
def test_a_bad_link_is_refused_and_changes_nothing(app, db, hook, make) -> None:  # type: ignore[no-untyped-def]
    reader = make_subscriber(db, "kept@example.com")
    db.commit()
    with counting() as trips:
        response = app.test_client().post(f"/unsubscribe/{make(reader.id)}", data=ONE_CLICK)
    assert response.status_code == 400 and response.get_data() == b"invalid link\n"
    assert trips.database == 0  # refused before the database
    assert _reader(db, reader.id)["status"] == SubscriberStatus.ACTIVE
    assert _calls(db) == []


def test_a_revoked_link_is_refused_and_changes_nothing(app, db, hook) -> None:
    reader = make_subscriber(db, "revoked@example.com")
    db.commit()
    old = _path(reader.id)
    access.revoke_links(db, reader.id)
    db.commit()
    response = app.test_client().post(old, data=ONE_CLICK)
    assert response.status_code == 400 and response.get_data() == b"invalid link\n"
    assert _reader(db, reader.id)["status"] == SubscriberStatus.ACTIVE
    assert _calls(db) == []
    fresh = Tokens(SECRET).make(Purpose.UNSUBSCRIBE, reader.id, 1)
    assert app.test_client().post(f"/unsubscribe/{fresh}", data=ONE_CLICK).status_code == 200
    assert _reader(db, reader.id)["status"] == SubscriberStatus.UNSUBSCRIBED


def test_an_erased_reader_gets_200_and_nothing_is_written(app, db, hook) -> None:
    response = app.test_client().post(_path(987654), data=ONE_CLICK)
    assert response.status_code == 200 and response.get_data() == b"not subscribed\n"
    assert _calls(db) == []


def test_an_address_beyond_ascii_takes_the_general_path_with_the_same_body(app, runtime, db,
                                                                           hook) -> None:
    reader = make_subscriber(db, "zoë@exämple.com")
    db.commit()
    claim = Tokens(SECRET).claim(Purpose.UNSUBSCRIBE, token(Purpose.UNSUBSCRIBE, reader.id))
    # PostgreSQL's to_json would keep ë where json.dumps writes \u00eb: not done here
    assert one_click.unsubscribe(runtime.engine, claim, None) == one_click.Outcome.FALLBACK
    assert _reader(db, reader.id)["status"] == SubscriberStatus.ACTIVE and _calls(db) == []

    response = app.test_client().post(_path(reader.id), data=ONE_CLICK)
    assert response.status_code == 200
    left = _reader(db, reader.id)
    assert left["status"] == SubscriberStatus.UNSUBSCRIBED
    (call,) = _calls(db)
    assert call["body"] == webhooks.body("subscriber.unsubscribed", left["unsubscribed_at"],
                                         {"subscriber_id": reader.id, "email": "zoë@exämple.com"})
    assert "\\u00eb" in call["body"]


def test_an_address_beyond_ascii_without_endpoints_stays_one_statement(app, db) -> None:
    reader = make_subscriber(db, "zoë@exämple.com")
    db.commit()
    with counting() as trips:
        response = app.test_client().post(_path(reader.id), data=ONE_CLICK)
    assert response.status_code == 200
    assert [s.split()[0] for s in trips.statements][-1:] == ["WITH"]
    assert trips.transaction == []
    assert _reader(db, reader.id)["status"] == SubscriberStatus.UNSUBSCRIBED


@pytest.mark.parametrize("value", ["a@b.c", 'q"uo\\te/@x.org', "zoë@exämple.com", "", "\x00\n"])
def test_body_around_splices_to_the_exact_body(value: str) -> None:
    now = utcnow()
    head, tail = webhooks.body_around("subscriber.unsubscribed", now, {"subscriber_id": 7,
                                                                       "email": ""}, "email")
    assert head + json.dumps(value) + tail == webhooks.body(
        "subscriber.unsubscribed", now, {"subscriber_id": 7, "email": value})
