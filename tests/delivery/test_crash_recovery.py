"""kill -9 of a worker in the middle of a batch, then a new worker: every delivery ends
sent, none is skipped, and the only duplicates are rows that were in flight when it died.

The whole process tree dies (worker, cron child and the work horse sending the batch), so
the batch in flight really is cut short; the test checks that nothing of it survives."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from rq import Worker
from sqlalchemy import func, select

from newsletter.delivery.jobs import enqueue_start
from newsletter.delivery.settings import SendSettings
from newsletter.models import Delivery, Edition
from tests.delivery.processes import WorkerProcess, wait_for, worker_env
from tests.factories import make_topic
from tests.support.delivery import bulk_subscribers, scheduled_edition, statuses
from tests.support.smtp import SmtpSink


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A relay that offers PIPELINING, as production ones do: a copy's content is on the wire
    while the worker stamps the next, and the bound on duplicates must still hold."""
    sink = SmtpSink(pipelining=True).start()
    yield sink
    sink.stop()


@pytest.mark.slow
def test_a_killed_worker_loses_no_delivery_and_resends_at_most_its_unflushed_rows(
        db, runtime, settings, smtp, tmp_path):
    topics = [make_topic(db, s) for s in ("world", "climate", "tech")]
    emails = bulk_subscribers(db, 3000, topics)
    edition_id = scheduled_edition(db, topics)
    env = worker_env(settings, tmp_path / "instance", DELIVERY_BATCH_SIZE="300",
                     DELIVERY_STALE_SECONDS="5", NEWSLETTER_TICK_SECONDS="1", SMTP_RATE="400")

    first = WorkerProcess(env, tmp_path / "worker-1.log")
    try:
        with runtime.Session() as s:
            enqueue_start(runtime, s.get(Edition, edition_id))
        # kill while a batch is claimed (rows in flight), not in the gap between two jobs
        wait_for(lambda: len(smtp.messages) >= 700
                 and statuses(runtime, edition_id).get("sending", 0) > 0,
                 90, "part of the edition", [first])
    finally:
        first.kill()

    in_flight = statuses(runtime, edition_id).get("sending", 0)
    assert 0 < in_flight <= 300
    assert len(first.killed) >= 2  # the worker (SimpleWorker: the batch runs in it) and its cron child
    assert first.survivors() == []
    # nothing of the old worker lived on to finish its batch: the rows are still in flight
    assert statuses(runtime, edition_id).get("sending", 0) == in_flight
    sent_before = len(smtp.messages)
    assert sent_before < 3000

    second = WorkerProcess(env, tmp_path / "worker-2.log")
    try:
        def finished() -> bool:
            with runtime.Session() as s:
                return s.get(Edition, edition_id, populate_existing=True).status == "sent"

        wait_for(finished, 400, "the edition to finish after the crash", [second])
    finally:
        second.stop()

    assert statuses(runtime, edition_id) == {"sent": 3000}
    with runtime.Session() as s:
        assert s.scalar(select(func.max(Delivery.attempts)).where(
            Delivery.edition_id == edition_id)) <= 2
    per_recipient = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert set(per_recipient) == set(emails)  # nobody skipped
    duplicates = sum(n - 1 for n in per_recipient.values())
    # the outcomes not yet written, plus the one copy on the wire while they are written
    # (pipelined, the next copy's content goes out before the flush, to overlap it)
    assert duplicates <= min(in_flight, SendSettings().flush_every + 1, 25)


@pytest.mark.slow
def test_two_workers_killed_at_full_speed_resend_at_most_25_copies_each(
        db, runtime, settings, smtp, tmp_path):
    """No SMTP_RATE: both workers are mid-batch, sending as fast as they can, when the
    whole of both process trees gets SIGKILL; a third worker finishes the edition."""
    topics = [make_topic(db, s) for s in ("world", "climate", "tech")]
    emails = bulk_subscribers(db, 4000, topics)
    edition_id = scheduled_edition(db, topics)
    # batches of 1,500 last about a second at full speed: long enough that neither finishes
    # between seeing both in flight and the kill (with 500 one sometimes did)
    env = worker_env(settings, tmp_path / "instance", DELIVERY_STALE_SECONDS="3",
                     NEWSLETTER_TICK_SECONDS="1", DELIVERY_BATCH_SIZE="1500")
    crashed = [WorkerProcess(env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
    try:
        wait_for(lambda: len(Worker.all(queue=runtime.queue)) == 2, 60, "two workers", crashed)
        with runtime.Session() as s:
            enqueue_start(runtime, s.get(Edition, edition_id))
        wait_for(lambda: len(smtp.messages) >= 800 and batches_in_flight(runtime) == 2,
                 120, "both workers in the middle of a batch", crashed)
    finally:
        for worker in crashed:
            worker.kill()

    assert all(w.survivors() == [] for w in crashed)
    # rows of both workers' batches were claimed and not recorded when they died
    assert batches_in_flight(runtime) == 2
    assert len(smtp.messages) < 4000

    last = WorkerProcess(env, tmp_path / "worker-3.log")
    try:
        def finished() -> bool:
            with runtime.Session() as s:
                return s.get(Edition, edition_id, populate_existing=True).status == "sent"

        wait_for(finished, 400, "the edition to finish after the crash", [last])
    finally:
        last.stop()

    assert statuses(runtime, edition_id) == {"sent": 4000}
    per_recipient = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert set(per_recipient) == set(emails)  # nobody lost
    duplicates = sum(n - 1 for n in per_recipient.values())
    assert duplicates <= 2 * 25


def batches_in_flight(runtime) -> int:  # noqa: ANN001
    """Claimed batches with rows not yet recorded (a claim stamps its rows with one time)."""
    with runtime.Session() as s:
        return s.scalar(select(func.count(func.distinct(Delivery.claimed_at)))
                        .where(Delivery.status == "sending")) or 0
