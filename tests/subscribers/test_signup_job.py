"""The sign-up job records the request; a topic archived in between drops it without a crash."""

from __future__ import annotations

from sqlalchemy import func, select

from newsletter.editorial.topics import archive_topic
from newsletter.models import Subscriber
from tests.factories import make_topic
from tests.subscribers.pages import sign_up


def test_a_topic_archived_before_the_job_runs_drops_the_sign_up_quietly(
    client, db, smtp, work
) -> None:
    make_topic(db, "world")
    db.commit()
    assert sign_up(client, "late@example.com", ["world"]).status_code == 200
    archive_topic(db, "world")
    db.commit()
    work()
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 0
    assert smtp.messages == []


def test_the_sign_up_is_recorded_by_the_job_not_the_request(client, db, work) -> None:
    make_topic(db, "world")
    db.commit()
    sign_up(client, "queued@example.com", ["world"])
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 0
    work()
    assert db.scalar(select(Subscriber.email)) == "queued@example.com"
