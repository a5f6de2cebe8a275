"""Pausing stops all mail for 1 or 4 weeks or until resumed, and touches nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from newsletter.models import SubscriberStatus, utcnow
from newsletter.subscribers.service import resume_due_pauses
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import post_form, token


@pytest.fixture
def reader(db):  # type: ignore[no-untyped-def]
    row = make_subscriber(db, "reader@example.com", [make_topic(db), make_topic(db)])
    db.commit()
    return row


@pytest.mark.parametrize(("choice", "weeks"), [("1", 1), ("4", 4), ("indefinite", None)])
def test_pause_for_a_while_or_until_resumed(client, db, reader, choice: str, weeks) -> None:
    topics_before = set(reader.topic_ids)
    page = f"/preferences/{token(Purpose.PREFERENCES, reader.id)}"
    response = post_form(client, page, {"pause": choice}, action=f"{page}/pause")
    assert response.status_code == 302 and response.headers["Location"] == page
    db.refresh(reader)
    assert reader.status == SubscriberStatus.PAUSED
    if weeks is None:
        assert reader.paused_until is None
    else:
        expected = utcnow() + timedelta(weeks=weeks)
        assert abs(reader.paused_until - expected) < timedelta(minutes=5)
    assert set(reader.topic_ids) == topics_before
    assert "Email is paused" in client.get(page).get_data(as_text=True)


def test_an_unknown_pause_length_is_refused(client, db, reader) -> None:
    page = f"/preferences/{token(Purpose.PREFERENCES, reader.id)}"
    response = post_form(client, page, {"pause": "52"}, action=f"{page}/pause")
    assert response.status_code == 422
    assert "Choose how long to pause." in response.get_data(as_text=True)
    db.refresh(reader)
    assert reader.status == SubscriberStatus.ACTIVE


def test_resume_turns_briefings_back_on(client, db, reader) -> None:
    page = f"/preferences/{token(Purpose.PREFERENCES, reader.id)}"
    post_form(client, page, {"pause": "indefinite"}, action=f"{page}/pause")
    response = post_form(client, page, {}, action=f"{page}/resume")
    assert response.status_code == 302
    db.refresh(reader)
    assert reader.status == SubscriberStatus.ACTIVE and reader.paused_until is None


def test_a_pause_ends_by_itself_when_its_time_is_up(db, reader) -> None:
    reader.status = SubscriberStatus.PAUSED
    reader.paused_until = utcnow() + timedelta(weeks=1)
    db.commit()
    assert resume_due_pauses(db, now=utcnow() + timedelta(days=6)) == 0
    assert resume_due_pauses(db, now=utcnow() + timedelta(days=8)) == 1
    db.commit()
    db.refresh(reader)
    assert reader.status == SubscriberStatus.ACTIVE
