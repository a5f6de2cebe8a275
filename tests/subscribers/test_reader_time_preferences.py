"""The preferences page sets the reader's zone, cadence, hour and weekday; bad values are
refused with the form and nothing changes; next_briefing_at follows every change, pause
and resume (the tick of daily and weekly briefings reads nothing else)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from newsletter.errors import ValidationError
from newsletter.models import Cadence, Subscriber, SubscriberStatus, Topic, utcnow
from newsletter.subscribers import service, timing
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import post_form, token


def page_of(row: Subscriber) -> str:
    return f"/preferences/{token(Purpose.PREFERENCES, row.id)}"


def fresh(db, row: Subscriber) -> Subscriber:  # type: ignore[no-untyped-def]
    db.flush()  # this test's own changes, then what the database holds
    db.expire_all()
    return db.get(Subscriber, row.id)


def settings_of(row: Subscriber) -> tuple:  # type: ignore[type-arg]
    return (row.timezone, row.cadence, row.briefing_hour, row.briefing_weekday,
            row.next_briefing_at, row.last_briefing_at)


def test_the_page_saves_zone_cadence_hour_and_weekday(client, db, reader) -> None:
    before = utcnow()
    response = post_form(client, page_of(reader), {
        "timezone": "Asia/Kathmandu", "cadence": "weekly", "hour": "6", "weekday": "4"})
    assert response.status_code == 200
    assert "Saved. One weekly briefing on Fridays at 06:00, Asia/Kathmandu time." in \
        response.get_data(as_text=True)
    row = fresh(db, reader)
    assert (row.timezone, row.cadence, row.briefing_hour, row.briefing_weekday) == (
        "Asia/Kathmandu", Cadence.WEEKLY, 6, 4)
    # Friday 06:00 in Kathmandu (+05:45) is Friday 00:15 UTC, within the coming week
    assert row.next_briefing_at.astimezone(UTC).strftime("%A %H:%M") == "Friday 00:15"
    assert before < row.next_briefing_at <= before + timedelta(days=7)
    assert before <= row.last_briefing_at <= utcnow()  # the first digest replays no history


@pytest.mark.parametrize(("field", "value", "stored"), [
    ("timezone", "Pacific/Chatham", "Pacific/Chatham"),
    ("timezone", "Asia/Calcutta", "Asia/Kolkata"),
    ("timezone", "", None),
    ("cadence", "daily", Cadence.DAILY),
    ("hour", "21", 21),
    ("hour", "05:00", 5),
    ("weekday", "6", 6),
    ("weekday", "tuesday", 1),
])
def test_each_field_is_saved_on_its_own(client, db, reader, field, value, stored) -> None:
    reader.timezone = "Europe/Paris"
    db.commit()
    assert post_form(client, page_of(reader), {field: value}).status_code == 200
    column = {"hour": "briefing_hour", "weekday": "briefing_weekday"}.get(field, field)
    assert getattr(fresh(db, reader), column) == stored


def test_saving_the_timing_form_leaves_the_topics_alone(client, db, reader) -> None:
    post_form(client, page_of(reader), {"cadence": "daily", "hour": "7", "timezone": ""})
    row = fresh(db, reader)
    assert row.cadence == Cadence.DAILY
    assert set(db.scalars(select(Topic.slug).where(Topic.id.in_(row.topic_ids)))) == {"world"}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("hour", "24", "Choose an hour from 0 to 23."),
    ("hour", "-1", "Choose an hour from 0 to 23."),
    ("hour", "seven", "Choose an hour from 0 to 23."),
    ("hour", "7:30", "Choose an hour from 0 to 23."),
    ("hour", "", "Choose an hour from 0 to 23."),
    ("weekday", "7", "Choose a day of the week."),
    ("weekday", "Funday", "Choose a day of the week."),
    ("cadence", "hourly", "Choose how often: every edition, daily or weekly."),
    ("cadence", "", "Choose how often: every edition, daily or weekly."),
    ("timezone", "Mars/Olympus_Mons", "Choose a time zone from the list."),
    ("timezone", "x" * 5000, "Choose a time zone from the list."),
])
def test_a_bad_value_is_refused_with_the_form_and_nothing_changes(client, db, reader, field,
                                                                  value, message) -> None:
    before = settings_of(fresh(db, reader))
    good = {"timezone": "Asia/Tokyo", "cadence": "daily", "hour": "8", "weekday": "2",
            "topics": ["climate"]}
    response = post_form(client, page_of(reader), {**good, field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "Nothing was saved" in html
    assert 'id="timing"' in html  # the form is shown again, not an error page
    row = fresh(db, reader)
    assert settings_of(row) == before
    assert set(db.scalars(select(Topic.slug).where(Topic.id.in_(row.topic_ids)))) == {"world"}


def test_the_domain_function_refuses_bad_values_too(db, reader) -> None:
    with pytest.raises(ValidationError) as caught:
        timing.set_choices(db, reader.id, {"hour": 99}, "UTC")
    assert caught.value.field == "hour"


def test_a_daily_reader_at_45_minutes_from_utc(db, reader) -> None:
    now = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # 08:45 in Kathmandu: today's 07:00 passed
    row = timing.set_choices(db, reader.id, {"timezone": "Asia/Kathmandu", "cadence": "daily",
                                             "hour": "7"}, "UTC", now)
    assert row.next_briefing_at == datetime(2026, 6, 11, 1, 15, tzinfo=UTC)
    earlier = datetime(2026, 6, 10, 1, 0, tzinfo=UTC)  # 06:45 there: today's is still to come
    row = timing.set_choices(db, reader.id, {"hour": "7"}, "UTC", earlier)
    assert row.next_briefing_at == datetime(2026, 6, 10, 1, 15, tzinfo=UTC)


def test_the_next_briefing_on_the_day_clocks_go_forward(db, reader) -> None:
    # Europe/Berlin moves from +01:00 to +02:00 at 01:00 UTC on Sunday 29 March 2026
    now = datetime(2026, 3, 28, 8, 0, tzinfo=UTC)  # Saturday 09:00 in Berlin
    row = timing.set_choices(db, reader.id, {"timezone": "Europe/Berlin", "cadence": "daily",
                                             "hour": "7"}, "UTC", now)
    assert row.next_briefing_at == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 CEST
    # 02:00 does not exist that night in Berlin: the briefing comes at 03:00 CEST, once
    row = timing.set_choices(db, reader.id, {"hour": "2"}, "UTC", now)
    assert row.next_briefing_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_reader_without_a_zone_follows_the_lists_zone(db, reader) -> None:
    now = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    row = timing.set_choices(db, reader.id, {"cadence": "daily", "hour": "7"},
                             "America/New_York", now)
    assert row.timezone is None
    assert row.next_briefing_at == datetime(2026, 6, 11, 11, 0, tzinfo=UTC)  # 07:00 EDT


def test_back_to_editions_asks_for_a_catch_up_of_what_came_since_the_last_digest(db,
                                                                               reader) -> None:
    start = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    timing.set_choices(db, reader.id, {"cadence": "daily"}, "UTC", start)
    later = start + timedelta(hours=5)
    row = timing.set_choices(db, reader.id, {"cadence": "edition"}, "UTC", later)
    assert row.next_briefing_at == later  # one-off, at the next tick (delivery/briefings)
    assert row.last_briefing_at == start  # from the last digest on


def test_a_pending_catch_up_is_not_lost_by_moving_to_a_digest(db, reader) -> None:
    start = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    service.pause(db, reader.id, "indefinite", now=start)
    back = start + timedelta(days=3)
    service.resume(db, reader.id, now=back, list_zone="UTC")
    assert fresh(db, reader).next_briefing_at == back  # the edition reader's catch-up
    row = timing.set_choices(db, reader.id, {"cadence": "daily", "hour": "7"}, "UTC",
                             back + timedelta(minutes=1))
    assert row.last_briefing_at == start  # the first digest brings the pause's news
    assert row.next_briefing_at == datetime(2026, 6, 14, 7, 0, tzinfo=UTC)


def test_switching_from_editions_starts_the_digest_memory_now(db, reader) -> None:
    reader.last_briefing_at = datetime(2025, 1, 1, tzinfo=UTC)  # a daily spell long ago
    db.commit()
    now = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    row = timing.set_choices(db, reader.id, {"cadence": "daily"}, "UTC", now)
    assert row.last_briefing_at == now  # the editions since then covered it all
    later = now + timedelta(days=3)
    row = timing.set_choices(db, reader.id, {"cadence": "weekly"}, "UTC", later)
    assert row.last_briefing_at == now  # daily to weekly: the digest's memory goes on
    assert row.briefing_weekday == 0  # Monday unless they choose


def test_a_reader_paused_until_they_resume_gets_the_next_slot_after_resuming(db,
                                                                          reader) -> None:
    start = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    timing.set_choices(db, reader.id, {"timezone": "Asia/Kathmandu", "cadence": "daily",
                                       "hour": "7"}, "UTC", start)
    service.pause(db, reader.id, "indefinite", now=start)
    row = timing.set_choices(db, reader.id, {"hour": "9"}, "UTC", start)  # while paused
    assert row.status == SubscriberStatus.PAUSED  # the tick sends to active readers only
    back = datetime(2026, 7, 1, 5, 0, tzinfo=UTC)  # 10:45 in Kathmandu
    service.resume(db, reader.id, now=back, list_zone="UTC")
    row = fresh(db, reader)
    assert row.status == SubscriberStatus.ACTIVE
    assert row.next_briefing_at == datetime(2026, 7, 2, 3, 15, tzinfo=UTC)  # next 09:00 there
    assert row.last_briefing_at == start  # the first briefing back catches up on the pause


def test_a_reader_paused_until_a_date_keeps_the_first_slot_after_it(db, reader) -> None:
    start = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # a Wednesday
    service.pause(db, reader.id, "1", now=start)  # until Wednesday 17 June, 12:00
    row = timing.set_choices(db, reader.id, {"cadence": "daily", "hour": "7"}, "UTC", start)
    assert row.next_briefing_at == datetime(2026, 6, 18, 7, 0, tzinfo=UTC)


def test_a_pause_that_runs_out_resumes_with_the_next_slot_after_it(db, reader) -> None:
    start = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    timing.set_choices(db, reader.id, {"cadence": "weekly", "weekday": "0", "hour": "7"},
                       "Europe/London", start)
    service.pause(db, reader.id, "1", now=start)
    db.commit()
    tick = datetime(2026, 6, 17, 12, 5, tzinfo=UTC)  # a Wednesday, just after the pause ends
    assert service.resume_due_pauses(db, tick, "Europe/London") == 1
    row = fresh(db, reader)
    assert row.next_briefing_at == datetime(2026, 6, 22, 6, 0, tzinfo=UTC)  # Monday 07:00 BST


def test_confirming_starts_a_daily_readers_schedule(db) -> None:
    row = make_subscriber(db, "new@example.com", [make_topic(db)], status="pending",
                          cadence=Cadence.DAILY, timezone="Asia/Tokyo")
    now = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # 21:00 in Tokyo
    service.confirm(db, row.id, now=now, list_zone="UTC")
    assert row.next_briefing_at == datetime(2026, 6, 10, 22, 0, tzinfo=UTC)  # 07:00 there


def test_unsubscribing_stops_the_schedule(db, reader) -> None:
    timing.set_choices(db, reader.id, {"cadence": "daily"}, "UTC")
    service.unsubscribe(db, reader.id)
    assert fresh(db, reader).next_briefing_at is None


def test_the_page_says_the_next_daily_briefing_on_the_readers_clock(client, db, reader) -> None:
    timing.set_choices(db, reader.id, {"timezone": "Asia/Kathmandu", "cadence": "daily",
                                       "hour": "7"}, "UTC")
    db.commit()
    html = client.get(page_of(reader)).get_data(as_text=True)
    local = fresh(db, reader).next_briefing_at.astimezone(timing.reader_time.zone_of(
        "Asia/Kathmandu", "UTC"))
    assert (f"Your next daily briefing: <strong>{local.strftime('%A %-d %B')} at 07:00</strong>"
            " (your time, Asia/Kathmandu)") in html
    assert "what is new on World" in html
    assert '<option value="Asia/Kathmandu" selected>' in html


def test_a_reader_paused_until_a_date_is_told_the_first_briefing_after_it(client, db,
                                                                          reader) -> None:
    timing.set_choices(db, reader.id, {"timezone": "Europe/Berlin", "cadence": "daily",
                                       "hour": "7"}, "UTC")
    service.pause(db, reader.id, "4")
    db.commit()
    row = fresh(db, reader)
    first = timing.upcoming(row, "UTC")
    assert first is not None and first > row.paused_until
    html = client.get(page_of(reader)).get_data(as_text=True)
    assert "Your next daily briefing: <strong>" in html
    assert first.astimezone(timing.reader_time.zone_of("Europe/Berlin", "UTC")).strftime(
        "%A %-d %B at 07:00") in html
