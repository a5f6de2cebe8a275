"""Ways in for returned mail: the API, the MTA pipe (with its exit codes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from newsletter.models import BounceRecord, Subscriber

from .samples import dsn, fixture

RFC822 = {"Content-Type": "message/rfc822"}


def test_api_takes_a_raw_message_and_answers_with_its_classification(client, db, auth, verp,
                                                                     send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    raw = dsn([(email, "5.1.1", "550 5.1.1 user unknown")], to=verp.sender(sid, sent.edition_id))
    response = client.post("/api/v1/bounces", data=raw, headers={**auth, **RFC822})
    assert response.status_code == 201
    assert response.json["kind"] == "bounce"
    assert response.json["recipients"] == [
        {"address": email, "status": "5.1.1", "hard": True, "reason": "userunknown"}]
    assert response.json["matched"] is True and response.json["outcome"] == "bounced"
    db.expire_all()
    assert db.get(Subscriber, sid).status == "bounced"


def test_api_answers_200_for_a_message_it_already_has(client, db, auth):
    raw = fixture("own/gmail_userunknown.txt")
    assert client.post("/api/v1/bounces", data=raw, headers={**auth, **RFC822}).status_code == 201
    again = client.post("/api/v1/bounces", data=raw, headers={**auth, **RFC822})
    assert again.status_code == 200 and again.json["duplicate"] is True
    assert db.scalar(select(func.count()).select_from(BounceRecord)) == 1


def test_api_wants_message_rfc822(client, db, auth):
    response = client.post("/api/v1/bounces", json={"raw": "x"}, headers=auth)
    assert response.status_code == 415
    assert "message/rfc822" in response.json["error"]
    assert db.scalar(select(func.count()).select_from(BounceRecord)) == 0


def test_api_refuses_an_empty_body(client, auth):
    response = client.post("/api/v1/bounces", data=b"  \r\n", headers={**auth, **RFC822})
    assert response.status_code == 400 and "empty" in response.json["error"]


def test_api_needs_a_token(client, db):
    response = client.post("/api/v1/bounces", data=fixture("own/gmail_userunknown.txt"),
                           headers=RFC822)
    assert response.status_code == 401
    assert db.scalar(select(func.count()).select_from(BounceRecord)) == 0


def test_api_takes_a_twenty_megabyte_message(client, auth):
    raw = fixture("own/gmail_userunknown.txt") + b"\n" + b"B" * (20 * 1024 * 1024)
    response = client.post("/api/v1/bounces", data=raw, headers={**auth, **RFC822})
    assert response.status_code == 201
    assert response.json["recipients"][0]["address"] == "gone.reader@gmail.com"


def test_receive_command_stores_the_message_and_exits_0(runner, db):
    result = runner.invoke(args=["bounces", "receive"], input=fixture("own/qmail_nomailbox.txt"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["kind"] == "bounce"
    row = db.scalar(select(BounceRecord))
    assert row.address == "missing@example.org" and row.source == "pipe"
    assert row.subscriber_id is None  # not tied to a copy of ours: kept, unmatched


def test_receive_command_exits_75_when_the_database_is_down(tmp_path: Path, redis_url):
    env = dict(os.environ, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:9/none",
               REDIS_URL=redis_url, NEWSLETTER_INSTANCE=str(tmp_path), SECRET_KEY="x")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "newsletter"), "bounces", "receive"],
        input=fixture("own/qmail_nomailbox.txt"), capture_output=True, env=env, timeout=60,
    )
    assert proc.returncode == 75, proc.stderr
    assert b"try again later" in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_api_takes_an_internationalized_message_as_message_global(client, auth):
    raw = b"From: MAILER-DAEMON@mx.example\nTo: n@example.com\nSubject: Unzustellbar\n\n" + \
        "<jürgen@example.de>: 550 5.1.1 Benutzer unbekannt, user unknown\n".encode()
    response = client.post("/api/v1/bounces", data=raw,
                           headers={**auth, "Content-Type": "message/global"})
    assert response.status_code == 201
    assert response.json["recipients"][0]["reason"] == "userunknown"
