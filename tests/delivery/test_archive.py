"""The ledger stays bounded: DELIVERY_ARCHIVE_DAYS after an edition finished, the tick queues
the archive job, which moves its delivery rows to the narrow archive a chunk at a time, and
every page and API that reads copies answers exactly as before (edition status and stats,
the reader's history, the data export, topic figures, the problems list), while a late
bounce is still matched by Message-ID and VERP."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from newsletter.bounces.intake import receive
from newsletter.bounces.policy import BouncePolicy
from newsletter.bounces.verp import Verp
from newsletter.delivery import ledger
from newsletter.delivery.jobs import enqueue_start
from newsletter.editorial.editions import create_edition
from newsletter.engagement.topic_stats import topic_figures
from newsletter.models import (
    ArchivedDelivery,
    ArchivedEdition,
    BounceRecord,
    Delivery,
    Edition,
    Subscriber,
    utcnow,
)
from newsletter.models.delivery import copies
from newsletter.subscribers import service as subscribers
from tests.bounces.samples import dsn
from tests.factories import make_editor, make_subscriber, make_token, make_topic, make_update
from tests.support.admin import log_in
from tests.support.delivery import statuses, tick_and_archive

ENVELOPE = "bounces@news.example.test"
_HISTORY_ROW = re.compile(r'<td data-label="Copy">.*?</tr>', re.S)


def answers(client, runtime, edition_id: int, readers: list[int], slug: str,
            token: str) -> dict[str, object]:  # noqa: ANN001
    """Everything that reads the copies of this edition, as the outside sees it."""
    auth = {"Authorization": f"Bearer {token}"}
    with runtime.Session() as s:
        status = client.get(f"/api/v1/editions/{edition_id}", headers=auth).get_json()
        return {
            "status": {k: v for k, v in status.items() if k != "links"},
            "stats": client.get(f"/api/v1/editions/{edition_id}/stats", headers=auth).get_json(),
            "history": [_HISTORY_ROW.findall(client.get(f"/admin/subscribers/{r}")
                                             .get_data(as_text=True)) for r in readers],
            "export": [subscribers.export_data(s, r)["deliveries"] for r in readers],
            "topic": topic_figures(s, slug)["editions"],
            "problems": ledger.problems(s, edition_id),
            "counts": ledger.counts(s, edition_id),
            "masks": [ledger.copy_mask(s, edition_id, r) for r in readers],
        }


def test_an_old_editions_rows_move_to_the_archive_and_every_answer_stays(
        db, client, runtime, smtp, sender, edition_factory, topics):
    runtime.settings = dataclasses.replace(runtime.settings, envelope_from=ENVELOPE)
    edition_id, emails = edition_factory(9)
    smtp.handler.failures[emails[4]] = "550 5.7.1 refused by policy"
    sender.drain(edition_id)
    editor = make_editor(db, role="admin")
    token = make_token(db, editor)
    db.commit()
    log_in(client, editor.email)
    with runtime.Session() as s:
        ids = dict(s.execute(select(Subscriber.email, Subscriber.id)).all())
        message_ids = dict(s.execute(select(Delivery.subscriber_id, Delivery.message_id)).all())
        finished = s.get(Edition, edition_id).finished_at
    readers = [ids[e] for e in emails]
    assert statuses(runtime, edition_id) == {"sent": 8, "failed": 1}
    before = answers(client, runtime, edition_id, readers, topics[0].slug, token)
    assert before["stats"]["delivered"] == 8 and len(before["problems"]) == 1
    assert all(len(rows) == 1 for rows in before["history"])

    runtime.settings = dataclasses.replace(runtime.settings, delivery_archive_chunk=2)
    assert tick_and_archive(runtime, finished + timedelta(days=29)) == 0  # not old enough
    assert statuses(runtime, edition_id) == {"sent": 8, "failed": 1}
    assert tick_and_archive(runtime, finished + timedelta(days=31)) == 9  # in 5 chunks

    with runtime.Session() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 0  # the ledger is empty
        assert s.scalar(select(func.count()).select_from(ArchivedDelivery)) == 9
        assert s.get(ArchivedEdition, edition_id).copies == 9
        # the Message-IDs are rebuilt, not stored
        assert s.scalar(select(func.count()).select_from(ArchivedDelivery)
                        .where(ArchivedDelivery.message_id.is_not(None))) == 0
    assert tick_and_archive(runtime, finished + timedelta(days=40)) == 0  # once only
    assert answers(client, runtime, edition_id, readers, topics[0].slug, token) == before

    # a late bounce quoting an archived copy's Message-ID, and one to a VERP address
    policy = BouncePolicy.from_settings(runtime.settings)
    verp = Verp(ENVELOPE, runtime.settings.secret_key)
    by_id, by_verp = readers[1], readers[2]
    with runtime.session() as s:
        got = receive(s, dsn([(emails[1], "5.1.1", "550 5.1.1 user unknown")],
                             returned_headers=f"Message-ID: {message_ids[by_id]}\n"
                             f"To: {emails[1]}\n"),
                      source="test", policy=policy, verp=verp)
        assert (got.matched_by, got.subscriber_id, got.edition_id) == ("message-id", by_id,
                                                                        edition_id)
        got = receive(s, dsn([(emails[2], "5.1.1", "550 5.1.1 user unknown")],
                             to=verp.sender(by_verp, edition_id)),
                      source="test", policy=policy, verp=verp)
        assert (got.matched_by, got.subscriber_id, got.edition_id) == ("verp", by_verp,
                                                                        edition_id)
        # a guessed id of a copy that was never sent matches nothing
        forged = message_ids[by_id].replace(f".{by_id}@", f".{readers[4]}@")
        got = receive(s, dsn([(emails[4], "5.1.1", "550 5.1.1 user unknown")],
                             returned_headers=f"Message-ID: {forged}\nTo: {emails[4]}\n"),
                      source="test", policy=policy, verp=None)
        assert not got.matched_by
    with runtime.Session() as s:
        assert {(r.subscriber_id, r.edition_id) for r in s.scalars(select(BounceRecord))
                if r.subscriber_id} == {(by_id, edition_id), (by_verp, edition_id)}
        assert s.get(Subscriber, by_id).status == "bounced"


def test_an_edition_still_sending_or_paused_is_never_archived(runtime, sender, edition_factory):
    edition_id, _ = edition_factory(3)
    sender.configure(batch_size=2)
    sender.batch(edition_id)  # 2 of 3 sent, the edition is still sending

    assert tick_and_archive(runtime, utcnow() + timedelta(days=400)) == 0
    assert statuses(runtime, edition_id) == {"sent": 2, "pending": 1}


def seen(s, edition_id: int, reader: int) -> tuple:  # noqa: ANN001
    return (ledger.counts(s, edition_id),
            [(tuple(row[:-1]), edition.id) for row, edition in ledger.history(s, reader)],
            subscribers.export_data(s, reader)["deliveries"])


@pytest.mark.embedded
def test_archiving_works_on_the_embedded_defaults(embedded_app):
    """SQLite, the embedded Redis and the .eml outbox: the same move and the same answers."""
    from newsletter.runtime import WORKER_CLASS

    runtime = embedded_app.extensions["newsletter"]
    with runtime.Session() as db:
        world = make_topic(db, "world")
        update_id = make_update(db, world, "World headline").id
        ann = make_subscriber(db, "ann@example.com", [world]).id
        make_subscriber(db, "bob@example.com", [world])
        db.commit()
        edition = create_edition(db, "Today", [update_id], utcnow())
        db.commit()
        edition_id = edition.id
        enqueue_start(runtime, edition)
    WORKER_CLASS(runtime.queues, connection=runtime.redis).work(burst=True,
                                                                logging_level="WARNING")
    with runtime.Session() as s:
        finished = s.get(Edition, edition_id).finished_at
        message_id = s.scalar(select(Delivery.message_id).where(Delivery.subscriber_id == ann))
        before = seen(s, edition_id, ann)
    assert before[0].sent == 2

    runtime.settings = dataclasses.replace(runtime.settings, delivery_archive_chunk=1)
    with embedded_app.app_context():  # two chunks, SQLite's three statements each
        assert tick_and_archive(runtime, finished + timedelta(days=31)) == 2

    with runtime.Session() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 0
        assert seen(s, edition_id, ann) == before
        c = copies()
        assert s.scalar(select(c.c.message_id).where(c.c.subscriber_id == ann)) == message_id
