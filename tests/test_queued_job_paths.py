"""Jobs queued under the paths they had before they moved beside their nouns still run.

RQ stores a job's function as a dotted path; an upgrade must not strand what is queued.
"""

from __future__ import annotations

from newsletter.delivery.jobs import send_batch_job
from newsletter.subscribers.jobs import send_subscriber_mail
from tests.factories import make_subscriber


def test_new_jobs_are_queued_under_the_module_beside_their_noun(runtime):
    job = runtime.queue.enqueue(send_batch_job, 1)
    assert job.func_name == "newsletter.delivery.jobs.send_batch_job"
    job = runtime.queue.enqueue(send_subscriber_mail, 1, "confirm")
    assert job.func_name == "newsletter.subscribers.jobs.send_subscriber_mail"


def test_a_job_queued_under_its_old_path_runs_on_a_fresh_worker(db, runtime, smtp, work):
    subscriber = make_subscriber(db, "old@example.com", status="pending")
    db.commit()
    job = runtime.queue.enqueue("newsletter.jobs.send_subscriber_mail", subscriber.id, "confirm")

    work()  # a real RQ worker; each job runs in a freshly forked work horse

    assert job.get_status(refresh=True) == "finished"
    assert [m.rcpt_tos for m in smtp.messages] == [["old@example.com"]]
    for old in ("start_edition_job", "send_batch_job", "send_import_confirmations", "tick"):
        assert runtime.queue.enqueue(f"newsletter.jobs.{old}").func is not None
