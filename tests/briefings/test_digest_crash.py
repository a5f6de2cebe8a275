"""kill -9 of a worker's whole process tree in the middle of a digest, then a new worker:
every due reader gets their briefing, the digest is built once (its readers had already
moved on to tomorrow when it was committed), and the only repeats are rows in flight."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from newsletter.delivery.settings import SendSettings
from newsletter.models import Edition, Subscriber, utcnow
from tests.delivery.processes import WorkerProcess, wait_for, worker_env
from tests.factories import make_topic
from tests.support.briefings import publish
from tests.support.delivery import bulk_subscribers, statuses

READERS = 3000


@pytest.mark.slow
def test_a_worker_killed_mid_digest_loses_no_reader(db, runtime, settings, smtp, tmp_path):
    topics = [make_topic(db, s) for s in ("world", "climate", "tech")]
    now = utcnow()
    for topic in topics:
        publish(db, topic, f"{topic.name} today", now - timedelta(hours=2))
    emails = bulk_subscribers(db, READERS, topics)
    db.execute(update(Subscriber).values(
        cadence="daily", timezone="UTC", briefing_hour=(now.hour + 23) % 24,
        last_briefing_at=now - timedelta(days=1), next_briefing_at=now - timedelta(minutes=1)))
    db.commit()
    env = worker_env(settings, tmp_path / "instance", DELIVERY_BATCH_SIZE="300",
                     DELIVERY_STALE_SECONDS="5", NEWSLETTER_TICK_SECONDS="1", SMTP_RATE="400")

    def digest_id() -> int | None:
        with runtime.Session() as s:
            return s.scalar(select(Edition.id).where(Edition.kind == "digest"))

    first = WorkerProcess(env, tmp_path / "worker-1.log")
    try:  # the tick builds the digest; kill while a batch of it is claimed
        wait_for(lambda: len(smtp.messages) >= 700 and digest_id() is not None
                 and statuses(runtime, digest_id()).get("sending", 0) > 0,
                 90, "part of the digest", [first])
    finally:
        first.kill()

    edition_id = digest_id()
    in_flight = statuses(runtime, edition_id).get("sending", 0)
    assert 0 < in_flight <= 300
    assert len(first.killed) >= 3 and first.survivors() == []
    assert statuses(runtime, edition_id).get("sending", 0) == in_flight  # nothing lived on
    assert len(smtp.messages) < READERS

    second = WorkerProcess(env, tmp_path / "worker-2.log")
    try:
        def finished() -> bool:
            with runtime.Session() as s:
                return s.get(Edition, edition_id, populate_existing=True).status == "sent"

        wait_for(finished, 120, "the digest to finish after the crash", [second])
    finally:
        second.stop()

    assert statuses(runtime, edition_id) == {"sent": READERS}
    with runtime.Session() as s:
        assert s.scalars(select(Edition.id).where(Edition.kind == "digest")).all() == [edition_id]
        assert s.scalar(select(Subscriber.next_briefing_at).limit(1)) > now
    per_reader = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert set(per_reader) == set(emails)  # nobody skipped
    assert sum(n - 1 for n in per_reader.values()) <= min(in_flight, SendSettings().flush_every)
    assert all(m.message["Subject"].startswith("Your briefing: ") for m in smtp.messages[:50])
