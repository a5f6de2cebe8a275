"""Three worker processes on the same Redis and PostgreSQL share one edition without
sending any copy twice."""

from __future__ import annotations

from collections import Counter

import pytest
from rq import Worker
from rq.job import Job
from rq.registry import FinishedJobRegistry

from newsletter.delivery.jobs import enqueue_start
from newsletter.models import Edition
from tests.delivery.processes import WorkerProcess, wait_for, worker_env
from tests.factories import make_topic
from tests.support.delivery import bulk_subscribers, scheduled_edition, statuses


@pytest.mark.slow
def test_three_workers_deliver_5000_messages_exactly_once(db, runtime, settings, smtp, tmp_path):
    topics = [make_topic(db, s) for s in ("world", "climate", "tech")]
    emails = bulk_subscribers(db, 5000, topics)
    edition_id = scheduled_edition(db, topics)
    env = worker_env(settings, tmp_path / "instance", DELIVERY_BATCH_SIZE="100",
                     NEWSLETTER_TICK_SECONDS="2")
    workers = [WorkerProcess(env, tmp_path / f"worker-{n}.log") for n in range(3)]
    try:
        wait_for(lambda: len(Worker.all(queue=runtime.queue)) == 3, 60, "three workers", workers)
        with runtime.Session() as s:
            enqueue_start(runtime, s.get(Edition, edition_id))

        def finished() -> bool:
            with runtime.Session() as s:
                return s.get(Edition, edition_id, populate_existing=True).status == "sent"

        wait_for(finished, 240, "the edition to be sent", workers)
    finally:
        for worker in workers:
            worker.stop()

    per_recipient = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert set(per_recipient) == set(emails)
    assert set(per_recipient.values()) == {1}
    assert statuses(runtime, edition_id) == {"sent": 5000}
    registry = FinishedJobRegistry(queue=runtime.queue)
    jobs = Job.fetch_many(registry.get_job_ids(), connection=runtime.redis)
    by_worker = Counter(j.worker_name for j in jobs if j and j.func_name.endswith("send_batch_job"))
    assert len(by_worker) == 3 and sum(by_worker.values()) >= 50, by_worker  # really shared
