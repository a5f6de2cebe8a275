"""A worker killed with SIGKILL in the middle of a sign-up burst loses and doubles nothing."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from newsletter.models import Subscriber, SubscriberStatus
from newsletter.subscribers.jobs import accept_signup
from tests.delivery.processes import WorkerProcess, wait_for, worker_env
from tests.factories import make_topic


def descendants(pid: int) -> list[int]:
    """pid and every process below it (a forking worker's horse is in its own group)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def kill_tree(worker: WorkerProcess) -> list[int]:
    pids = descendants(worker.proc.pid)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    worker.kill()  # the process group too, and reap the worker
    return pids


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
    pids = kill_tree(first)
    deadline = time.monotonic() + 5
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pids) >= 2 and not [p for p in pids if alive(p)]
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
