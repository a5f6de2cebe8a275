"""The sign-up form carries the reader's time zone through the stream and the batch job.

A zone the browser sends is stored under its current IANA name; an unknown or missing one
is stored as NULL (the list's zone), never an error page. An active reader's zone is not
changed by someone typing their address into the public form.
"""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from sqlalchemy import select

from newsletter.models import Subscriber
from newsletter.runtime import WORKER_CLASS
from newsletter.subscribers import intake
from newsletter.subscribers.signups import Request, subscribe_many
from newsletter.subscribers.tokens import Purpose, Tokens
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import post_form


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    topic = make_topic(db, "world")
    db.commit()
    return topic


def sign_up(client, address: str, zone: str | None):  # type: ignore[no-untyped-def]
    data = {"email": address, "topics": ["world"]}
    if zone is not None:
        data["timezone"] = zone
    return post_form(client, "/subscribe", data)


def zone_of(db, address: str) -> str | None:  # type: ignore[no-untyped-def]
    db.expire_all()
    row = db.scalar(select(Subscriber).where(Subscriber.email == address))
    assert row is not None, address
    return row.timezone


def test_a_batch_of_sign_ups_stores_each_readers_zone(client, db, world, work, runtime) -> None:
    zones = {"kathmandu@example.com": "Asia/Kathmandu", "berlin@example.com": "Europe/Berlin",
             "none@example.com": None}
    for address, zone in zones.items():
        assert sign_up(client, address, zone).status_code == 303
    stream = intake.Stream(runtime.redis, intake.stream_key(runtime.settings.queue_name))
    assert stream.backlog() == 3  # all three wait for one job: recorded as one batch
    work()
    assert {a: zone_of(db, a) for a in zones} == zones


def test_an_old_name_from_the_browser_is_stored_under_its_current_name(client, db, world,
                                                                        work) -> None:
    assert sign_up(client, "kolkata@example.com", "Asia/Calcutta").status_code == 303
    work()
    assert zone_of(db, "kolkata@example.com") == "Asia/Kolkata"


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "", "   ", "../../etc/passwd",
                                 "Europe/" + "x" * 400, "Europe/Berlin\x00", "<script>"])
def test_an_unknown_zone_is_stored_as_the_lists_zone_without_an_error(client, db, world, work,
                                                                       bad) -> None:
    response = sign_up(client, "odd@example.com", bad)
    assert response.status_code == 303
    assert response.headers["Location"] == "/subscribe/check-inbox"
    work()
    assert zone_of(db, "odd@example.com") is None


def test_a_stream_entry_from_before_zones_is_still_recorded(db, world, runtime) -> None:
    key = intake.stream_key(runtime.settings.queue_name)
    runtime.redis.xadd(key, {"a": "old@example.com", "t": "world"})
    [entry] = [intake._entry(i, f) for i, f in runtime.redis.xrange(key)]
    assert entry.request == Request("old@example.com", ("world",), None)


def test_the_public_form_does_not_change_an_active_readers_zone(client, db, world, work) -> None:
    make_subscriber(db, "reader@example.com", [world], status="active").timezone = "Europe/Paris"
    make_subscriber(db, "waiting@example.com", [world], status="pending").timezone = "Europe/Paris"
    db.commit()
    sign_up(client, "reader@example.com", "America/Chicago")
    sign_up(client, "waiting@example.com", "America/Chicago")
    work()
    assert zone_of(db, "reader@example.com") == "Europe/Paris"  # theirs to change, by link
    assert zone_of(db, "waiting@example.com") == "America/Chicago"  # follows the latest form


def test_a_sign_up_without_a_zone_keeps_the_one_given_before(db, world) -> None:
    subscribe_many(db, [Request("twice@example.com", ("world",), "Asia/Tokyo")])
    subscribe_many(db, [Request("twice@example.com", ("world",), None)])
    assert zone_of(db, "twice@example.com") == "Asia/Tokyo"


@pytest.mark.parametrize("state", ["pending", "active", "unsubscribed"])
def test_the_answer_with_a_zone_is_the_same_for_every_kind_of_address(app, db, world,
                                                                       state) -> None:
    make_subscriber(db, f"{state}@example.com", [world], status=state)
    db.commit()

    def answer(address: str) -> tuple[int, str, str]:
        response = sign_up(app.test_client(), address, "Asia/Kathmandu")
        return (response.status_code, response.headers["Location"],
                response.get_data(as_text=True))

    assert answer(f"{state}@example.com") == answer("new@example.com")


def test_the_sign_up_page_offers_a_labelled_zone_list_and_an_external_script(client,
                                                                             world) -> None:
    html = client.get("/subscribe").get_data(as_text=True)
    assert '<label for="timezone">Time zone</label>' in html
    select_html = html[html.index('<select id="timezone"'):html.index("</select>")]
    assert '<optgroup label="Asia">' in select_html
    assert '<option value="Asia/Kathmandu">Kathmandu</option>' in select_html
    assert '<option value="" selected>' not in select_html  # nothing forced: first is ""
    assert re.search(r'<script src="/static/timezone\.js[^"]*" defer></script>', html)
    assert not re.search(r"<script>(?!</script>)", html)  # no inline script (CSP)


def test_the_form_shown_again_after_an_error_keeps_the_chosen_zone(client, world) -> None:
    response = post_form(client, "/subscribe", {"email": "not an address", "topics": ["world"],
                                                "timezone": "Asia/Kathmandu"})
    assert response.status_code == 422
    assert '<option value="Asia/Kathmandu" selected>' in response.get_data(as_text=True)


def test_a_form_shown_again_never_offers_a_made_up_zone(client, world) -> None:
    response = post_form(client, "/subscribe", {"email": "not an address", "topics": ["world"],
                                                "timezone": "<b>Mars</b>"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Mars" not in html[html.index('<select id="timezone"'):html.index("</select>")]


@pytest.mark.embedded
def test_zone_and_cadence_on_the_embedded_defaults(embedded_app) -> None:
    """SQLite, embedded Redis: the zone rides the stream to the pending subscriber, and the
    preferences page sets a daily briefing with its next slot."""
    runtime = embedded_app.extensions["newsletter"]
    with runtime.Session() as session:
        make_topic(session, "world")
        session.commit()
    client = embedded_app.test_client()
    assert sign_up(client, "local@example.com", "Asia/Kathmandu").status_code == 303
    WORKER_CLASS(runtime.queues, connection=runtime.redis).work(burst=True, logging_level="WARNING")
    with runtime.Session() as session:
        row = session.scalar(select(Subscriber))
        assert (row.email, row.timezone) == ("local@example.com", "Asia/Kathmandu")
        row.status = "active"
        session.commit()
        page = f"/preferences/{Tokens(runtime.settings.secret_key).make(Purpose.PREFERENCES, row.id)}"
    response = post_form(client, page, {"cadence": "daily", "hour": "7"})
    assert response.status_code == 200
    assert post_form(client, page, {"hour": "25"}).status_code == 422
    with runtime.Session() as session:
        row = session.scalar(select(Subscriber))
        assert (row.cadence, row.briefing_hour) == ("daily", 7)
        assert row.next_briefing_at is not None
        assert row.next_briefing_at.astimezone(UTC).strftime("%H:%M") == "01:15"  # 07:00 there
