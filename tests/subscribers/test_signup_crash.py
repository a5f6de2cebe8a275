"""A worker killed with SIGKILL in the middle of a sign-up burst loses and doubles nothing."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import select

from newsletter.models import Subscriber, SubscriberStatus
from newsletter.subscribers.jobs import accept_signup
from tests.delivery.processes import WorkerProcess, wait_for, worker_env
from tests.factories import make_topic


@pytest.mark.slow
def test_a_worker_killed_mid_burst_leaves_one_pending_subscriber_and_one_email_each(
    db, runtime, settings, smtp, tmp_path
) -> None:
    make_topic(db, "world")
    db.commit()
    addresses = [f"burst{i}@example.com" for i in range(600)]
    for address in addresses:  # what POST /subscribe does once the form is valid
        accept_signup(runtime, address, ["world"])
    env = worker_env(settings, tmp_path / "instance", NEWSLETTER_TICK_SECONDS="1")
    first = WorkerProcess(env, tmp_path / "first.log")
    wait_for(lambda: len(smtp.messages) >= 50, 60, "the first confirmations", [first])
    first.kill()  # SIGKILL to the worker and every process under it
    assert len(first.killed) >= 2 and first.survivors() == []
    at_kill = len(smtp.messages)
    assert at_kill < len(addresses), "the kill came too late to be mid-burst"

    second = WorkerProcess(env, tmp_path / "second.log")
    try:
        wait_for(lambda: len({m.rcpt_tos[0] for m in smtp.messages}) >= len(addresses), 90,
                 "every confirmation", [second])
        time.sleep(1)  # anything sent twice would arrive now
    finally:
        second.stop()
    rows = list(db.execute(select(Subscriber.email, Subscriber.status)))
    assert sorted(e for e, _ in rows) == sorted(addresses)
    assert {s for _, s in rows} == {SubscriberStatus.PENDING}
    copies = Counter(m.rcpt_tos[0] for m in smtp.messages)
    assert set(copies) == set(addresses)
    message_ids = {(m.rcpt_tos[0], m.message["Message-ID"]) for m in smtp.messages}
    assert len(message_ids) == len(addresses)  # one message per address...
    doubled = {a: n for a, n in copies.items() if n > 1}
    # ...and at most one copy of it twice: the one on the wire when the worker died (SMTP
    # cannot tell whether it was accepted), sent again under the same Message-ID.
    assert len(doubled) <= 1 and set(doubled.values()) <= {2}, doubled
