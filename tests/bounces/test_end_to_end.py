"""From sent edition to returned mail to the next edition, on PostgreSQL and the embedded defaults.

Four readers get an edition. Back come: a hard DSN (through the API), a complaint (through
`newsletter bounces receive`), one soft bounce, and a hard bounce with a forged tag. The
next edition goes to exactly the last two.
"""

from __future__ import annotations

import dataclasses
import email
from collections.abc import Callable
from email import policy
from pathlib import Path

import pytest
from flask import Flask
from rq import Worker

from tests.factories import make_subscriber, make_token, make_topic, make_update

from .conftest import ENVELOPE
from .samples import arf, dsn

READERS = ["hard@example.com", "angry@example.com", "soft@example.com", "forged@example.com"]


def run_flow(app: Flask, sent_envelopes: Callable[[], dict[str, str]], clear: Callable[[], None]
             ) -> None:
    runtime = app.extensions["newsletter"]
    runtime.settings = dataclasses.replace(runtime.settings, envelope_from=ENVELOPE)
    with runtime.Session() as db:
        topic = make_topic(db, "world")
        update_id = make_update(db, topic, "World headline").id
        for address in READERS:
            make_subscriber(db, address, [topic])
        token = make_token(db)
        db.commit()
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}

    def send(subject: str) -> dict[str, str]:
        clear()
        response = client.post("/api/v1/editions", json={
            "subject": subject, "update_ids": [update_id], "send_at": None}, headers=auth)
        assert response.status_code == 201, response.json
        Worker([runtime.queue], connection=runtime.redis).work(burst=True, logging_level="WARNING")
        return sent_envelopes()

    envelopes = send("Today")
    assert sorted(envelopes) == sorted(READERS)

    hard = dsn([("hard@example.com", "5.1.1", "550 5.1.1 user unknown")],
               to=envelopes["hard@example.com"])
    response = client.post("/api/v1/bounces", data=hard,
                           headers={**auth, "Content-Type": "message/rfc822"})
    assert response.status_code == 201 and response.json["outcome"] == "bounced"

    complaint = arf("angry@example.com", to=envelopes["angry@example.com"])
    result = app.test_cli_runner().invoke(args=["bounces", "receive"], input=complaint)
    assert result.exit_code == 0, result.output
    assert '"outcome": "unsubscribed"' in result.output

    soft = dsn([("soft@example.com", "4.2.2", "452 4.2.2 mailbox full")],
               to=envelopes["soft@example.com"])
    response = client.post("/api/v1/bounces", data=soft,
                           headers={**auth, "Content-Type": "message/rfc822"})
    assert response.json["outcome"] == "counted"

    real = envelopes["forged@example.com"]
    local, domain = real.split("@")
    forged_tag = local[:-1] + ("0" if local[-1] != "0" else "1")
    forged = dsn([("forged@example.com", "5.1.1", "550 5.1.1 user unknown")],
                 to=f"{forged_tag}@{domain}")
    response = client.post("/api/v1/bounces", data=forged,
                           headers={**auth, "Content-Type": "message/rfc822"})
    assert response.status_code == 201 and response.json["matched"] is False

    assert sorted(send("Tomorrow")) == ["forged@example.com", "soft@example.com"]


def test_returned_mail_stops_exactly_the_right_readers_on_postgresql(app, smtp):
    def envelopes() -> dict[str, str]:
        return {m.rcpt_tos[0]: m.mail_from for m in smtp.messages}

    run_flow(app, envelopes, smtp.clear)


@pytest.mark.embedded
def test_returned_mail_stops_exactly_the_right_readers_on_the_embedded_defaults(embedded_app):
    outbox = Path(embedded_app.extensions["newsletter"].settings.outbox)

    def envelopes() -> dict[str, str]:
        found = {}
        for path in outbox.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            found[message["To"]] = message["X-Envelope-From"].strip("<>")
        return found

    def clear() -> None:
        outbox.mkdir(parents=True, exist_ok=True)
        for path in outbox.glob("*.eml"):
            path.unlink()

    run_flow(embedded_app, envelopes, clear)
