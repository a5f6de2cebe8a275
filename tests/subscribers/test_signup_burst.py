"""A burst of sign-ups: the request only queues, jobs record and mail in batches."""

from __future__ import annotations

from collections import Counter

import pytest
from rq.registry import FinishedJobRegistry
from sqlalchemy import event, func, select

from newsletter.models import OutgoingMail, Subscriber, SubscriberStatus, TopicUpdate, utcnow
from newsletter.runtime import WORKER_CLASS
from newsletter.subscribers import intake
from newsletter.subscribers import jobs as signup_jobs
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import csrf_token, sign_up


def sql_during(runtime, action) -> list[str]:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", seen)
    try:
        action()
    finally:
        event.remove(runtime.engine, "before_cursor_execute", seen)
    return statements


def test_a_burst_is_recorded_and_confirmed_by_a_few_batch_jobs(client, db, runtime, smtp,
                                                              work) -> None:
    make_topic(db, "world")
    db.commit()
    html = client.get("/subscribe").get_data(as_text=True)
    for i in range(300):
        response = client.post("/subscribe", data={"email": f"reader{i}@example.com",
                                                   "topics": ["world"],
                                                   "csrf_token": csrf_token(html)})
        assert response.status_code == 303
    work()
    statuses = Counter(db.scalars(select(Subscriber.status)))
    assert statuses == {SubscriberStatus.PENDING: 300}
    per_address = Counter(m.rcpt_tos[0] for m in smtp.messages)
    assert len(per_address) == 300 and set(per_address.values()) == {1}
    assert {m.message["Subject"] for m in smtp.messages} == {
        "Confirm your subscription to The Briefing"}
    jobs = FinishedJobRegistry(queue=runtime.signup_queue).count
    assert 2 <= jobs <= 6, jobs  # one recording job and one mail job (or a continuation), not 600


@pytest.mark.parametrize("state", ["new", "pending", "active", "suppressed"])
def test_posting_the_form_does_no_database_work_whoever_the_address_is(
    app, client, db, runtime, state
) -> None:
    app.config["SIGNUP_PAGE_CACHE_SECONDS"] = 60  # as in production: the GET filled it
    topic = make_topic(db, "world")
    if state in ("pending", "active"):
        make_subscriber(db, f"{state}@example.com", [topic], status=state)
    if state == "suppressed":
        from newsletter.subscribers.service import suppress
        suppress(db, f"{state}@example.com", reason="erased")
    db.commit()
    token = csrf_token(client.get("/subscribe").get_data(as_text=True))
    responses = []
    statements = sql_during(runtime, lambda: responses.append(client.post(
        "/subscribe", data={"email": f"{state}@example.com", "topics": ["world"],
                            "csrf_token": token})))
    assert responses[0].status_code == 303
    assert statements == []
    assert runtime.redis.xlen(intake.stream_key(runtime.settings.queue_name)) == 1


def test_the_sign_up_page_reads_the_same_whatever_the_number_of_updates(client, db,
                                                                        runtime) -> None:
    from tests.mail.realistic import make_realistic_update
    topic = make_topic(db, "world")
    make_realistic_update(db, topic)
    db.commit()
    few = sql_during(runtime, lambda: client.get("/subscribe"))
    for _ in range(30):
        make_realistic_update(db, topic)
    db.commit()
    latest = db.scalar(select(TopicUpdate.headline).order_by(TopicUpdate.id.desc()).limit(1))
    page: list[str] = []
    many = sql_during(runtime, lambda: page.append(client.get("/subscribe")
                                                  .get_data(as_text=True)))
    # the list's tracking choice (the privacy text) is read at most every 10 s: not counted
    few, many = ([s for s in q if "list_setting" not in s] for q in (few, many))
    assert len(many) == len(few) and all("LIMIT" in s for s in many if "topic_update" in s)
    assert latest in page[0]


def test_the_sign_up_page_is_served_from_the_cache_between_reads(app, client, db,
                                                                 runtime) -> None:
    app.config["SIGNUP_PAGE_CACHE_SECONDS"] = 60
    make_topic(db, "world")
    db.commit()
    first = client.get("/subscribe").get_data(as_text=True)
    statements = sql_during(runtime, lambda: client.get("/subscribe"))
    assert "World" in first and statements == []


def test_a_topic_added_after_the_page_was_cached_can_be_chosen_at_once(app, client, db,
                                                                       runtime) -> None:
    app.config["SIGNUP_PAGE_CACHE_SECONDS"] = 60
    make_topic(db, "world")
    db.commit()
    token = csrf_token(client.get("/subscribe").get_data(as_text=True))  # fills the cache
    make_topic(db, "climate", name="Climate")  # as another process (the CLI, an editor) would
    db.commit()
    followed = client.get("/subscribe?topic=climate").get_data(as_text=True)
    response = client.post("/subscribe", data={"email": "new@example.com", "topics": ["climate"],
                                               "csrf_token": token})
    assert 'value="climate" checked' in followed
    assert response.status_code == 303
    assert runtime.redis.xlen(intake.stream_key(runtime.settings.queue_name)) == 1


def test_an_unknown_topic_is_still_refused_after_a_fresh_read(app, client, db) -> None:
    app.config["SIGNUP_PAGE_CACHE_SECONDS"] = 60
    make_topic(db, "world")
    db.commit()
    token = csrf_token(client.get("/subscribe").get_data(as_text=True))
    response = client.post("/subscribe", data={"email": "new@example.com", "topics": ["nope"],
                                               "csrf_token": token})
    assert response.status_code == 422


def test_the_main_queue_goes_before_waiting_sign_ups(client, db, runtime) -> None:
    from newsletter.jobs import tick
    make_topic(db, "world")
    db.commit()
    sign_up(client, "early@example.com", ["world"])
    assert runtime.signup_queue.count == 1
    runtime.queue.enqueue(tick)
    WORKER_CLASS(runtime.queues, connection=runtime.redis).work(
        burst=True, max_jobs=1, logging_level="WARNING")
    assert FinishedJobRegistry(queue=runtime.queue).count == 1
    assert runtime.signup_queue.count == 1  # still waiting
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_a_recording_job_stops_after_its_share_and_queues_its_continuation(
    client, db, runtime, monkeypatch
) -> None:
    make_topic(db, "world")
    db.commit()
    key = intake.stream_key(runtime.settings.queue_name)
    for i in range(25):
        runtime.redis.xadd(key, intake.fields(f"r{i}@example.com", ["world"]))
    monkeypatch.setattr(signup_jobs, "SIGNUP_BATCH", 10)
    monkeypatch.setattr(signup_jobs, "JOB_SECONDS", 0.0)
    assert signup_jobs.record_signups() == 10
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 10
    names = [job.func_name.rsplit(".", 1)[1] for job in runtime.signup_queue.jobs]
    assert names.count("record_signups") == 1 and names.count("send_outgoing_mail") == 1


def test_recording_the_same_entries_twice_asks_for_one_email(db, runtime) -> None:
    make_topic(db, "world")
    db.commit()
    key = intake.stream_key(runtime.settings.queue_name)
    runtime.redis.xadd(key, intake.fields("twice@example.com", ["world"]))
    stream = intake.Stream(runtime.redis, key)
    stream.ensure_group()
    entries = stream.next_batch(10)
    assert intake.record(db, entries) == 1
    db.commit()
    db.execute(Subscriber.__table__.update().values(last_mail_at=None))  # throttle out of play
    assert intake.record(db, entries) == 0  # a worker killed before acknowledging: redone
    db.commit()
    assert db.scalar(select(func.count()).select_from(OutgoingMail)) == 1


def test_entries_of_a_dead_worker_are_taken_over_and_a_live_ones_are_not(db, runtime) -> None:
    make_topic(db, "world")
    db.commit()
    key = intake.stream_key(runtime.settings.queue_name)
    stream = intake.Stream(runtime.redis, key)
    stream.ensure_group()
    for name, address in (("dead-worker", "a@example.com"), ("live-worker", "b@example.com")):
        runtime.redis.xadd(key, intake.fields(address, ["world"]))
        runtime.redis.xreadgroup(intake.GROUP, name, {key: ">"}, count=1)
    runtime.redis.set("nl:alive:live-worker", "1", ex=30)
    assert signup_jobs.record_signups() == 1
    assert list(db.scalars(select(Subscriber.email))) == ["a@example.com"]
    assert runtime.redis.xpending(key, intake.GROUP)["pending"] == 1  # b's still held


def test_a_confirmation_no_longer_wanted_is_not_sent(db, runtime, smtp) -> None:
    topic = make_topic(db, "world")
    reader = make_subscriber(db, "quick@example.com", [topic], status="active")
    db.flush()
    db.add(OutgoingMail(subscriber_id=reader.id, kind="confirm", created_at=utcnow()))
    db.commit()
    assert signup_jobs.send_outgoing_mail() == 0
    assert smtp.messages == []
    assert db.scalar(select(OutgoingMail.done_at)) is not None


def test_a_temporary_refusal_is_tried_again_later(db, runtime, smtp) -> None:
    topic = make_topic(db, "world")
    reader = make_subscriber(db, "later@example.com", [topic], status="pending")
    db.flush()
    db.add(OutgoingMail(subscriber_id=reader.id, kind="confirm", created_at=utcnow()))
    db.commit()
    smtp.handler.failures["later@example.com"] = "451 4.3.0 try later"
    assert signup_jobs.send_outgoing_mail() == 0
    row = db.scalar(select(OutgoingMail))
    assert (row.attempts, row.done_at, row.claimed_by) == (1, None, None)
    assert row.next_attempt_at > utcnow()


def test_mail_claimed_by_a_dead_process_is_sent_and_a_live_ones_is_left(db, runtime,
                                                                       smtp) -> None:
    topic = make_topic(db, "world")
    for name in ("dead-worker", "live-worker"):
        reader = make_subscriber(db, f"{name}@example.com", [topic], status="pending")
        db.flush()
        db.add(OutgoingMail(subscriber_id=reader.id, kind="confirm", created_at=utcnow(),
                            claimed_by=name))
    db.commit()
    runtime.redis.set("nl:alive:live-worker", "1", ex=30)
    assert signup_jobs.send_outgoing_mail() == 1
    assert [m.rcpt_tos for m in smtp.messages] == [["dead-worker@example.com"]]
    left = db.scalar(select(OutgoingMail).where(OutgoingMail.done_at.is_(None)))
    assert left.claimed_by == "live-worker"


def test_each_confirmation_is_marked_done_before_the_next_one_goes_out(db, runtime,
                                                                      smtp) -> None:
    topic = make_topic(db, "world")
    for n in range(5):
        reader = make_subscriber(db, f"one-by-one{n}@example.com", [topic], status="pending")
        db.flush()
        db.add(OutgoingMail(subscriber_id=reader.id, kind="confirm", created_at=utcnow()))
    db.commit()
    done_when_received: list[int] = []
    accept = smtp.handler.handle_DATA

    async def counting(server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: ANN001
        with runtime.engine.connect() as other:  # what a worker taking over would see
            done_when_received.append(other.scalar(
                select(func.count()).select_from(OutgoingMail)
                .where(OutgoingMail.done_at.is_not(None))))
        return await accept(server, session, envelope)

    smtp.handler.handle_DATA = counting
    assert signup_jobs.send_outgoing_mail() == 5
    assert done_when_received == [0, 1, 2, 3, 4]
    assert db.scalar(select(OutgoingMail.claimed_by).where(OutgoingMail.done_at.is_not(None))
                     .limit(1)) is None


class FakeClock:
    """jobs' view of time: sleeping advances it, and sign-ups may arrive while it sleeps."""

    def __init__(self, arrivals=None) -> None:  # type: ignore[no-untyped-def]
        self.now = 1_000_000.0
        self.naps: list[float] = []
        self.arrivals = arrivals

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        if self.arrivals and len(self.naps) == 1:
            self.arrivals()
        self.now += seconds


@pytest.fixture
def recorded_batches(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    sizes: list[int] = []
    real = intake.record

    def spy(session, entries):  # type: ignore[no-untyped-def]
        sizes.append(len(entries))
        return real(session, entries)

    monkeypatch.setattr(intake, "record", spy)
    return sizes


@pytest.fixture
def clock(db, monkeypatch) -> FakeClock:  # type: ignore[no-untyped-def]
    """The jobs' clock, faked, and a topic to sign up for."""
    make_topic(db, "world")
    db.commit()
    fake = FakeClock()
    monkeypatch.setattr(signup_jobs, "time", fake)
    return fake


def _sign_ups(runtime, count: int, start: int = 0) -> None:  # type: ignore[no-untyped-def]
    key = intake.stream_key(runtime.settings.queue_name)
    for i in range(start, start + count):
        runtime.redis.xadd(key, intake.fields(f"g{i}@example.com", ["world"]))


def _last_job_ended(runtime, at: float) -> None:  # type: ignore[no-untyped-def]
    from newsletter import keys
    runtime.redis.set(keys.signups_recorded_at(runtime.settings.queue_name), str(at))


def test_in_a_burst_a_job_gathers_the_sign_ups_arriving_meanwhile_into_one_batch(
    db, runtime, clock, recorded_batches
) -> None:
    clock.arrivals = lambda: _sign_ups(runtime, 5, start=1)
    _last_job_ended(runtime, clock.now)
    _sign_ups(runtime, 1)

    assert signup_jobs.record_signups() == 6

    assert recorded_batches == [6]
    assert sum(clock.naps) == pytest.approx(signup_jobs.GATHER_SECONDS)
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 6


def test_the_first_sign_up_after_a_quiet_spell_is_recorded_at_once(
    runtime, clock, recorded_batches
) -> None:
    _sign_ups(runtime, 1)

    assert signup_jobs.record_signups() == 1

    assert clock.naps == [] and recorded_batches == [1]


def test_a_full_batch_waiting_is_recorded_without_gathering(
    runtime, clock, recorded_batches, monkeypatch
) -> None:
    monkeypatch.setattr(signup_jobs, "SIGNUP_BATCH", 3)
    _last_job_ended(runtime, clock.now)
    _sign_ups(runtime, 3)

    signup_jobs.record_signups()

    assert clock.naps == [] and recorded_batches == [3]


def test_a_job_killed_while_gathering_leaves_the_next_one_free_to_be_queued(
    runtime, clock
) -> None:
    def killed(_seconds: float) -> None:
        raise SystemExit("SIGKILL")

    clock.sleep = killed  # type: ignore[method-assign]
    _last_job_ended(runtime, clock.now)
    _sign_ups(runtime, 1)
    signup_jobs.kick(runtime, signup_jobs.record_signups)  # the flag of the job about to run

    with pytest.raises(SystemExit):
        signup_jobs.record_signups()

    signup_jobs.recover(runtime)  # the next tick
    names = [job.func_name.rsplit(".", 1)[1] for job in runtime.signup_queue.jobs]
    assert names.count("record_signups") == 2  # the killed one's (never run again) and a new one


def test_a_recording_job_marks_when_it_ended_for_a_short_while(db, runtime) -> None:
    from newsletter import keys
    key = keys.signups_recorded_at(runtime.settings.queue_name)
    signup_jobs.record_signups()
    assert 0 < runtime.redis.pttl(key) <= signup_jobs.BURST_GAP_SECONDS * 1000
