"""kill -9 of a worker in the middle of a local-delivery wave, then a new worker: the wave
ends sent with nobody lost, the later wave stays pending (the edition is not marked sent),
and it goes out at its own moment. Real `python worker.py` processes on the real clock
for the wave that is due now; the later wave, eleven hours away, is reached with the fake
clock that drives the tick in-process."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from newsletter.delivery.settings import SendSettings
from newsletter.editorial import scheduling
from newsletter.jobs import tick
from newsletter.models import Edition, Subscriber
from tests.delivery.processes import WorkerProcess, wait_for, worker_env
from tests.factories import make_topic, make_update
from tests.support.delivery import bulk_subscribers, statuses

NOW_WAVE, LATER_WAVE = 1500, 300


@pytest.mark.slow
def test_a_worker_killed_mid_wave_loses_nobody_and_the_later_wave_waits(
        db, runtime, settings, smtp, tmp_path, work):
    topic = make_topic(db, "world")
    update = make_update(db, topic)
    emails = bulk_subscribers(db, NOW_WAVE, [topic], prefix="utc")  # the list's zone (UTC)
    later = bulk_subscribers(db, LATER_WAVE, [topic], prefix="pagopago")
    db.query(Subscriber).filter(Subscriber.email.in_(later)).update(
        {"timezone": "Pacific/Pago_Pago"}, synchronize_session=False)
    db.commit()

    # confirmed ten minutes ago for a local time five minutes ago: the UTC readers' wave is
    # due (not late), Pago Pago's (UTC-11) comes eleven hours later
    now = datetime.now(UTC)
    wave = (now - timedelta(minutes=5)).replace(second=0, microsecond=0)
    plan = scheduling.plan_edition(
        db, update_ids=[update.id], send_at=wave.date().isoformat(), timezone="UTC",
        delivery="local", local_time=f"{wave:%H:%M}", late_readers="skip",
        now=now - timedelta(minutes=10))
    assert [(w.moment, w.readers, w.late) for w in plan.waves] == [
        (wave, NOW_WAVE, False), (wave + timedelta(hours=11), LATER_WAVE, False)]

    env = worker_env(settings, tmp_path / "instance", DELIVERY_BATCH_SIZE="300",
                     DELIVERY_STALE_SECONDS="5", NEWSLETTER_TICK_SECONDS="1", SMTP_RATE="400")
    first = WorkerProcess(env, tmp_path / "worker-1.log")
    try:
        edition_id = scheduling.schedule_edition(db, runtime, plan).id
        wait_for(lambda: len(smtp.messages) >= 500
                 and statuses(runtime, edition_id).get("sending", 0) > 0,
                 90, "part of the first wave", [first])
    finally:
        first.kill()

    in_flight = statuses(runtime, edition_id).get("sending", 0)
    assert 0 < in_flight <= 300
    assert len(first.killed) >= 2  # the worker and its cron child (jobs run in the worker)
    assert first.survivors() == []
    assert statuses(runtime, edition_id).get("sending", 0) == in_flight  # nothing finished it
    assert len(smtp.messages) < NOW_WAVE

    second = WorkerProcess(env, tmp_path / "worker-2.log")
    try:
        wait_for(lambda: statuses(runtime, edition_id).get("sent", 0) == NOW_WAVE, 120,
                 "the first wave to finish after the crash", [second])
    finally:
        second.stop()

    assert statuses(runtime, edition_id) == {"sent": NOW_WAVE, "pending": LATER_WAVE}
    with runtime.Session() as s:
        assert s.get(Edition, edition_id).status == "sending"  # the later wave holds it open
    per_recipient = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert set(per_recipient) == set(emails)  # nobody of the first wave lost, nobody later
    assert sum(n - 1 for n in per_recipient.values()) <= min(in_flight,
                                                             SendSettings().flush_every)

    # eleven hours on: the tick (fake clock, in-process worker) sends the later wave
    runtime.clock = lambda: wave + timedelta(hours=11, minutes=1)
    try:
        tick(now=runtime.clock())
        work()
    finally:
        runtime.clock = lambda: datetime.now(UTC)
    assert statuses(runtime, edition_id) == {"sent": NOW_WAVE + LATER_WAVE}
    per_recipient = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert all(per_recipient[e] == 1 for e in later)
    with runtime.Session() as s:
        assert s.get(Edition, edition_id).status == "sent"
