"""The worker says what it does: one log line per edition start, finish, pause and retry wave."""

from __future__ import annotations

import logging

from newsletter import jobs
from newsletter.feeds.scheduler import enqueue_due_feeds
from newsletter.models import Feed, utcnow
from tests.support.delivery import bulk_subscribers, scheduled_edition


def _lines(caplog) -> list[str]:  # noqa: ANN001
    return [r.getMessage() for r in caplog.records if r.name.startswith("newsletter")]


def test_an_edition_logs_its_start_and_its_finish_with_counts(runtime, db, smtp, topics, caplog):
    bulk_subscribers(db, 3, topics)
    edition_id = scheduled_edition(db, topics)
    smtp.handler.failures["reader2@example.com"] = "550 5.7.1 refused"
    caplog.set_level(logging.INFO, logger="newsletter")

    jobs.start_edition_job(edition_id)
    jobs.send_batch_job(edition_id)

    lines = _lines(caplog)
    assert f"edition {edition_id}: started, 3 copies to send" in lines
    finished = [line for line in lines if line.endswith("; finished")]
    assert len(finished) == 1
    assert finished[0].startswith(f"edition {edition_id}: 2 sent, 1 failed in ")


def test_a_deferred_copy_logs_the_retry_wave(runtime, db, smtp, topics, caplog):
    emails = bulk_subscribers(db, 2, topics)
    edition_id = scheduled_edition(db, topics)
    smtp.handler.failures[emails[0]] = "451 4.3.0 try again later"
    caplog.set_level(logging.INFO, logger="newsletter")

    jobs.start_edition_job(edition_id)
    jobs.send_batch_job(edition_id)

    wave = [line for line in _lines(caplog) if "retry wave" in line]
    assert len(wave) == 1
    assert wave[0].startswith(f"edition {edition_id}: 1 copies deferred by the mail server")


def test_an_edition_that_pauses_itself_logs_what_was_sent_so_far(smtp, sender, edition_factory,
                                                                   caplog):
    edition_id, emails = edition_factory(12)
    for address in emails[:8]:
        smtp.handler.failures[address] = "550 5.7.1 blocked"
    sender.configure(batch_size=12, flush_every=4, failure_pause_window=4, failure_pause_ratio=0.5)
    caplog.set_level(logging.INFO, logger="newsletter")

    sender.drain(edition_id)

    paused = [line for line in _lines(caplog) if "paused" in line]
    assert len(paused) == 1
    assert paused[0].startswith(f"edition {edition_id}: 0 sent, 4 failed, 8 waiting in ")
    assert paused[0].endswith("paused: too many failed deliveries")


def test_a_feed_poll_round_logs_one_line(runtime, db, topics, caplog):
    for i in range(2):
        db.add(Feed(topic_id=topics[0].id, url=f"https://feeds.example.com/{i}.xml"))
    db.commit()
    caplog.set_level(logging.INFO, logger="newsletter")

    enqueue_due_feeds(runtime, utcnow())

    rounds = [line for line in _lines(caplog) if line.startswith("feed poll round")]
    assert rounds == ["feed poll round: 2 due, 2 queued (0 already queued or running)"]
