"""What a digest holds, per reader, as received: each topic's latest update once, a line
for the earlier ones with that reader's own count, nothing when nothing is new; and a
daily reader gets no edition. MJML runs once per briefing edition, never per reader."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from newsletter.editorial.editions import create_edition
from newsletter.mail import edition as edition_module
from tests.factories import make_subscriber, make_topic
from tests.support.briefings import Clock, editions_of_kind, publish, reader, subscriber_state
from tests.support.delivery import Sender, start

MORNING = datetime(2026, 5, 4, 7, tzinfo=UTC)  # readers' slot: 07:00 UTC
DAY_BEFORE = MORNING - timedelta(days=1)


def h2s(message) -> list[str]:  # noqa: ANN001
    return re.findall(r"<h2[^>]*>(.*?)</h2>", message.get_body(("html",)).get_content())


def test_each_reader_gets_latest_update_per_topic_and_their_own_count_of_earlier_ones(
        db, runtime, smtp, monkeypatch):
    world, climate, tech = (make_topic(db, s) for s in ("world", "climate", "tech"))
    publish(db, world, "World one", DAY_BEFORE + timedelta(hours=1))
    publish(db, world, "World two", DAY_BEFORE + timedelta(hours=5))
    publish(db, world, "World three", DAY_BEFORE + timedelta(hours=9))
    publish(db, climate, "Climate one", DAY_BEFORE + timedelta(hours=2))
    publish(db, tech, "Tech old", DAY_BEFORE - timedelta(hours=3))  # before anyone's last
    reader(db, "ann@example.com", [world, climate], since=DAY_BEFORE)
    reader(db, "bob@example.com", [world], since=DAY_BEFORE + timedelta(hours=3))
    reader(db, "cat@example.com", [world], since=DAY_BEFORE + timedelta(hours=6))
    reader(db, "dan@example.com", [tech], since=DAY_BEFORE)
    db.commit()
    renders = []
    real = edition_module.render_mjml
    monkeypatch.setattr(edition_module, "render_mjml",
                        lambda *a, **k: renders.append(a) or real(*a, **k))

    Clock(runtime, smtp).tick(MORNING)

    assert len(renders) == 1 and len(editions_of_kind(runtime, "digest")) == 1
    (ann,), (bob,), (cat,) = (smtp.inbox(f"{n}@example.com") for n in ("ann", "bob", "cat"))
    assert h2s(ann) == ["Climate one", "World three"]
    ann_text = ann.get_body(("plain",)).get_content()
    assert "2 earlier updates on this topic" in ann_text
    assert "2 earlier updates on this topic" in ann.get_body(("html",)).get_content()
    # the line sits under World's block, not Climate's
    assert ann_text.index("World three") < ann_text.index("2 earlier updates on this topic")
    assert ann["Subject"] == "Your briefing: Climate and World"
    assert h2s(bob) == ["World three"] and "1 earlier update on this topic" in \
        bob.get_body(("plain",)).get_content()
    assert h2s(cat) == ["World three"] and "earlier update" not in \
        cat.get_body(("plain",)).get_content()
    assert cat["Subject"] == "Your briefing: World"
    for message in (ann, bob, cat):
        assert "World one" not in message.get_body(("html",)).get_content()
    # nothing new on Dan's topic: no email, but he moved on to tomorrow and was told up to now
    assert smtp.inbox("dan@example.com") == []
    dan = subscriber_state(runtime, "dan@example.com")
    assert dan.next_briefing_at == MORNING + timedelta(days=1)
    assert dan.last_briefing_at == MORNING
    assert subscriber_state(runtime, "ann@example.com").last_briefing_at == MORNING


def test_the_next_briefing_covers_only_what_came_after_the_last_one(db, runtime, smtp):
    world = make_topic(db, "world")
    publish(db, world, "Monday news", DAY_BEFORE + timedelta(hours=2))
    reader(db, "ann@example.com", [world], since=DAY_BEFORE)
    db.commit()
    clock = Clock(runtime, smtp)
    clock.tick(MORNING)
    publish(db, world, "Tuesday news", MORNING + timedelta(hours=3))
    db.commit()
    clock.tick(MORNING + timedelta(hours=12))  # not yet her hour: nothing
    assert len(smtp.inbox("ann@example.com")) == 1
    clock.tick(MORNING + timedelta(days=1))
    first, second = smtp.inbox("ann@example.com")
    assert h2s(first) == ["Monday news"] and h2s(second) == ["Tuesday news"]
    assert "earlier update" not in second.get_body(("plain",)).get_content()


def test_a_daily_reader_gets_no_edition(db, runtime, smtp):
    world = make_topic(db, "world")
    update = publish(db, world, "Breaking", DAY_BEFORE)
    make_subscriber(db, "editions@example.com", [world])
    reader(db, "daily@example.com", [world], since=DAY_BEFORE)
    reader(db, "weekly@example.com", [world], cadence="weekly", weekday=0, since=DAY_BEFORE)
    edition = create_edition(db, "Today", [update.id], DAY_BEFORE)
    db.commit()

    assert start(runtime, edition.id) == 1
    Sender(runtime, smtp.url).drain(edition.id)

    assert [m.rcpt_tos for m in smtp.messages] == [["editions@example.com"]]
