"""RQ jobs of a sign-up or a new-link request carry an opaque id, never the address: RQ keeps
job arguments in Redis and its worker logs them."""

from __future__ import annotations

import logging

from rq import Worker

from newsletter import keys
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import post_form, sign_up


def _queued_arguments(runtime) -> list[str]:  # type: ignore[no-untyped-def]
    return [repr((job.args, job.kwargs, job.description))
            for queue in (runtime.queue, runtime.signup_queue) for job in queue.jobs]


def test_a_sign_up_job_carries_no_address_and_still_subscribes(client, db, runtime, smtp,
                                                                caplog, monkeypatch) -> None:
    make_topic(db, "world")
    db.commit()
    sign_up(client, "Private.Reader@example.com", ["world"])
    arguments = _queued_arguments(runtime)
    assert arguments and not any("private.reader" in a.lower() for a in arguments)

    caplog.set_level(logging.INFO, logger="rq.worker")  # whatever earlier workers set up
    monkeypatch.setattr(logging.getLogger("rq.worker"), "propagate", True)
    Worker([runtime.queue, runtime.signup_queue], connection=runtime.redis).work(
        burst=True, logging_level="INFO")
    worker_log = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("rq"))
    assert "record_signup" in worker_log and "private.reader" not in worker_log.lower()
    [mail] = smtp.inbox("Private.Reader@example.com")
    assert mail["Subject"].startswith("Confirm your subscription")
    assert runtime.redis.keys(keys.reader_request("*")) == []  # nothing left behind


def test_a_new_link_request_job_carries_no_address(client, db, runtime, smtp, work) -> None:
    make_subscriber(db, "lost.link@example.com", [make_topic(db)])
    db.commit()
    post_form(client, "/links/new", {"email": "lost.link@example.com"})
    arguments = _queued_arguments(runtime)
    assert arguments and not any("lost.link" in a for a in arguments)
    work()
    assert len(smtp.inbox("lost.link@example.com")) == 1
