"""The archive runs as its own job, never inside the tick: one run at a time, a chunk per
transaction, and a run stopped anywhere (out of time, or killed with SIGKILL in the middle
of a chunk) leaves every copy in exactly one of the ledger and the archive; the next run
finishes the move."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import func, select, text

from newsletter import claims, keys
from newsletter.delivery import archive_job, ledger
from newsletter.jobs import tick
from newsletter.models import ArchivedDelivery, ArchivedEdition, Delivery, utcnow
from newsletter.models.delivery import copies
from tests.delivery.processes import WorkerProcess, wait_for, worker_env
from tests.support.delivery import tick_and_archive

LONG_AGO = timedelta(days=40)


@pytest.fixture
def old_edition(db, runtime, edition_factory):  # noqa: ANN001
    """make(count) → the id of an edition of `count` copies, sent and finished 40 days ago
    (the rows written as the batches leave them)."""

    def make(count: int) -> int:
        edition_id, _ = edition_factory(count)
        with runtime.engine.begin() as conn:
            conn.execute(text(
                "UPDATE delivery SET status = 'sent', attempts = 1, sent_at = :at,"
                " message_id = '<edition-' || edition_id || '-x.' || subscriber_id"
                " || '@news.example.test>' WHERE edition_id = :e"),
                {"e": edition_id, "at": utcnow() - LONG_AGO})
            conn.execute(text("UPDATE edition SET status = 'sent', finished_at = :at"
                              " WHERE id = :e"), {"e": edition_id, "at": utcnow() - LONG_AGO})
        return edition_id

    return make


def where_copies_are(runtime, edition_id: int) -> tuple[int, int, Counter]:  # noqa: ANN001
    """(rows in the ledger, rows in the archive, subscriber id → copies seen by copies())."""
    c = copies()
    with runtime.Session() as s:
        return (s.scalar(select(func.count()).select_from(Delivery)
                         .where(Delivery.edition_id == edition_id)),
                s.scalar(select(func.count()).select_from(ArchivedDelivery)
                         .where(ArchivedDelivery.edition_id == edition_id)),
                Counter(s.scalars(select(c.c.subscriber_id).where(c.c.edition_id == edition_id))))


def test_the_tick_queues_one_archive_run_and_moves_nothing_itself(runtime, old_edition):
    edition_id = old_edition(5)

    assert tick()["archive_queued"] == 1
    assert tick()["archive_queued"] == 0  # one is queued already
    queued = [j for j in runtime.queue.get_jobs() if j.func_name.endswith("archive_job")]
    assert len(queued) == 1
    assert where_copies_are(runtime, edition_id)[:2] == (5, 0)  # the tick moved nothing


def test_a_run_out_of_time_stops_after_a_chunk_and_the_next_one_carries_on(
        runtime, old_edition, monkeypatch):
    edition_id = old_edition(7)
    runtime.settings = dataclasses.replace(runtime.settings, delivery_archive_chunk=3)
    monkeypatch.setattr(archive_job, "JOB_SECONDS", 0)  # every run stops after one chunk
    with runtime.Session() as s:
        before = ledger.counts(s, edition_id)

    assert tick_and_archive(runtime, utcnow()) == 3
    in_ledger, in_archive, seen = where_copies_are(runtime, edition_id)
    assert (in_ledger, in_archive) == (4, 3)
    assert len(seen) == 7 and set(seen.values()) == {1}  # each copy once, half-way too
    with runtime.Session() as s:
        assert ledger.counts(s, edition_id) == before
    assert runtime.redis.get(keys.DELIVERY_ARCHIVE) is None  # the run let go of the lock

    assert tick_and_archive(runtime, utcnow()) == 3
    assert tick_and_archive(runtime, utcnow()) == 1
    assert tick_and_archive(runtime, utcnow()) == 0  # nothing left: none queued
    assert where_copies_are(runtime, edition_id)[:2] == (0, 7)
    with runtime.Session() as s:
        assert s.get(ArchivedEdition, edition_id).copies == 7
        assert ledger.counts(s, edition_id) == before


def test_a_run_that_lost_its_lock_stops(runtime, old_edition):
    edition_id = old_edition(4)
    runtime.settings = dataclasses.replace(runtime.settings, delivery_archive_chunk=1)
    assert tick()["archive_queued"] == 1
    job = next(j for j in runtime.queue.get_jobs() if j.func_name.endswith("archive_job"))
    runtime.redis.set(keys.DELIVERY_ARCHIVE, "queued someone-else")  # e.g. it expired, re-queued

    assert job.perform() == {"moved": 0, "editions": 0}
    assert where_copies_are(runtime, edition_id)[:2] == (4, 0)
    assert runtime.redis.get(keys.DELIVERY_ARCHIVE) == b"queued someone-else"


@pytest.mark.slow
def test_a_run_killed_mid_chunk_loses_and_doubles_nothing_and_the_next_run_finishes(
        runtime, settings, old_edition, tmp_path):
    """A real `python worker.py` runs the job its own tick queued. A row of the third chunk
    is locked by the test, so the run is caught inside that chunk's transaction (its
    INSERT into the archive done, its DELETE waiting) when its whole process tree gets
    SIGKILL. Two chunks stay moved, the third is rolled back; a new worker takes the dead
    run's lock over and finishes."""
    edition_id = old_edition(400)
    env = worker_env(settings, tmp_path / "instance", DELIVERY_ARCHIVE_CHUNK="50",
                     NEWSLETTER_TICK_SECONDS="1")
    with runtime.Session() as s:
        third_chunk_row = s.scalars(select(Delivery.subscriber_id)
                                    .where(Delivery.edition_id == edition_id)
                                    .order_by(Delivery.subscriber_id).offset(120).limit(1)).one()
    dsn = settings.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    blocker = psycopg.connect(dsn)
    try:
        blocker.execute("SELECT 1 FROM delivery WHERE edition_id = %s AND subscriber_id = %s"
                        " FOR UPDATE", (edition_id, third_chunk_row))
        first = WorkerProcess(env, tmp_path / "worker-1.log")
        try:
            wait_for(lambda: waiting_delete(dsn) is not None, 300,
                     "the archive run to wait inside its third chunk", [first])
            backend = waiting_delete(dsn)
        finally:
            first.kill()
        assert len(first.killed) >= 2 and first.survivors() == []  # every pid is gone
    finally:
        blocker.rollback()  # the dead run's transaction can go on, then finds no client
        blocker.close()
    wait_for(lambda: not backend_alive(dsn, backend), 60, "the dead run's backend to end")

    in_ledger, in_archive, seen = where_copies_are(runtime, edition_id)
    assert (in_ledger, in_archive) == (300, 100)  # two chunks committed, the third not
    assert len(seen) == 400 and set(seen.values()) == {1}
    held = runtime.redis.get(keys.DELIVERY_ARCHIVE).decode().split(" ")
    assert held[0] == "running"  # the dead run's lock: taken over once its heartbeat stops
    wait_for(lambda: not claims.alive(runtime.redis, [held[2]]), 30, "the heartbeat to stop")

    second = WorkerProcess(env, tmp_path / "worker-2.log")
    try:
        wait_for(lambda: where_copies_are(runtime, edition_id)[:2] == (0, 400), 300,
                 "the next run to finish the move", [second])
    finally:
        second.stop()

    in_ledger, in_archive, seen = where_copies_are(runtime, edition_id)
    assert len(seen) == 400 and set(seen.values()) == {1}  # every copy exactly once
    with runtime.Session() as s:
        assert s.get(ArchivedEdition, edition_id).copies == 400
        assert ledger.counts(s, edition_id).sent == 400
    assert "died; the next run carries on" in second.output()


def waiting_delete(dsn: str) -> int | None:
    """The backend pid of an archive DELETE waiting for a row lock, if there is one."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                           " AND wait_event_type = 'Lock' AND query LIKE '%DELETE FROM delivery%'").fetchone()
    return row[0] if row else None


def backend_alive(dsn: str, pid: int) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                            (pid,)).fetchone()[0] > 0
