"""Right after confirming, a reader gets the latest published update of each topic they
chose: a welcome briefing. Confirmations in a burst are gathered into one welcome edition
(one render, one INSERT … SELECT), not one per reader; WELCOME_BRIEFING=0 turns it off."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

from sqlalchemy import func, select

from newsletter import keys
from newsletter.delivery.jobs import send_welcome_briefings
from newsletter.models import Delivery, Edition, utcnow
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber, make_topic, make_update
from tests.subscribers.pages import csrf_token, token
from tests.support.briefings import editions_of_kind, publish, subscriber_state


def confirm(client, subscriber_id: int) -> None:  # noqa: ANN001
    url = f"/confirm/{token(Purpose.CONFIRM, subscriber_id)}"
    page = client.get(url).get_data(as_text=True)
    assert client.post(url, data={"csrf_token": csrf_token(page)}).status_code == 302


def h2s(message) -> list[str]:  # noqa: ANN001
    return re.findall(r"<h2[^>]*>(.*?)</h2>", message.get_body(("html",)).get_content())


def newsroom(db):  # noqa: ANN001, ANN201
    world, climate, tech = (make_topic(db, s) for s in ("world", "climate", "tech"))
    earlier = utcnow() - timedelta(days=2)
    publish(db, world, "World old", earlier)
    publish(db, world, "World latest", earlier + timedelta(hours=5))
    publish(db, climate, "Climate latest", earlier + timedelta(hours=1))
    publish(db, tech, "Tech latest", earlier)
    make_update(db, climate, "Climate draft", status="draft")
    return world, climate, tech


def test_confirmed_readers_get_the_latest_update_of_each_chosen_topic_in_one_edition(
        client, db, runtime, smtp, work):
    world, climate, _tech = newsroom(db)
    ann = make_subscriber(db, "ann@example.com", [world, climate], status="pending")
    bob = make_subscriber(db, "bob@example.com", [climate], status="pending")
    cat = make_subscriber(db, "cat@example.com", [world], status="pending")
    db.commit()

    for row in (ann, bob, cat):
        confirm(client, row.id)
    assert runtime.redis.zcard(keys.welcome_due(runtime.settings.queue_name)) == 3
    work()

    assert len(editions_of_kind(runtime, "welcome")) == 1  # one edition, one render, for all
    (ann_mail,), (bob_mail,), (cat_mail,) = (smtp.inbox(f"{n}@example.com")
                                             for n in ("ann", "bob", "cat"))
    assert ann_mail["Subject"] == "Welcome: the latest on Climate and World"
    assert h2s(ann_mail) == ["Climate latest", "World latest"]
    assert h2s(bob_mail) == ["Climate latest"] and h2s(cat_mail) == ["World latest"]
    text = ann_mail.get_body(("plain",)).get_content()
    assert "World old" not in text and "Climate draft" not in text and "Tech latest" not in text
    assert "/unsubscribe/" in ann_mail["List-Unsubscribe"]
    assert runtime.redis.zcard(keys.welcome_due(runtime.settings.queue_name)) == 0
    assert subscriber_state(runtime, "ann@example.com").last_briefing_at is not None
    with runtime.Session() as s:
        welcome = s.get(Edition, editions_of_kind(runtime, "welcome")[0])
        assert welcome.public is False and welcome.status == "sent"


def test_a_reader_is_welcomed_once_however_often_the_job_runs(client, db, runtime, smtp, work):
    world, _climate, _tech = newsroom(db)
    ann = make_subscriber(db, "ann@example.com", [world], status="pending")
    db.commit()
    confirm(client, ann.id)
    work()
    runtime.redis.zadd(keys.welcome_due(runtime.settings.queue_name), {str(ann.id): 1})
    send_welcome_briefings()  # e.g. a crash after the commit, before the queue was trimmed
    work()

    assert len(smtp.inbox("ann@example.com")) == 1
    with runtime.Session() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 1


def test_a_burst_of_confirmations_makes_one_welcome_edition_not_one_per_reader(
        db, runtime, smtp, work):
    from newsletter.delivery.jobs import welcome_after_confirm
    from newsletter.subscribers import service

    world, climate, _tech = newsroom(db)
    rows = [make_subscriber(db, f"r{i}@example.com", [world, climate][: 1 + i % 2],
                            status="pending") for i in range(300)]
    db.commit()
    for row in rows:  # what POST /confirm does for each: commit, then queue the welcome
        service.confirm(db, row.id)
        db.commit()
        welcome_after_confirm(runtime, row.id)
    assert len(runtime.queue.jobs) == 1  # one gathering job for the whole burst
    work()

    assert len(editions_of_kind(runtime, "welcome")) == 1
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == \
        sorted(f"r{i}@example.com" for i in range(300))


def test_the_switch_turns_the_welcome_briefing_off(client, db, runtime, smtp, work):
    runtime.settings = dataclasses.replace(runtime.settings, welcome_briefing=False)
    world, _climate, _tech = newsroom(db)
    ann = make_subscriber(db, "ann@example.com", [world], status="pending")
    db.commit()

    confirm(client, ann.id)
    work()

    assert subscriber_state(runtime, "ann@example.com").status == "active"
    assert smtp.messages == [] and editions_of_kind(runtime, "welcome") == []
