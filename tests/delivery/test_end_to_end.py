"""One edition from the API to two inboxes and back out through one-click unsubscribe."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.factories import make_subscriber, make_token, make_topic, make_update


def headlines(message: EmailMessage) -> list[str]:
    html = message.get_body(("html",)).get_content()
    return re.findall(r"<h2[^>]*>(.*?)</h2>", html)


def unsubscribe_path(message: EmailMessage) -> str:
    url = message["List-Unsubscribe"].strip("<>")
    return urlsplit(url).path


@pytest.fixture
def newsroom(db):
    """Three topics with one published update each; Ann follows two, Bob one."""
    world, climate, tech = (make_topic(db, s) for s in ("world", "climate", "tech"))
    updates = [make_update(db, t, f"{t.name} headline") for t in (world, climate, tech)]
    make_subscriber(db, "ann@example.com", [world, tech])
    make_subscriber(db, "bob@example.com", [climate])
    make_subscriber(db, "nobody@example.com", [])
    token = make_token(db)
    db.commit()
    return {"token": token, "update_ids": [u.id for u in updates]}


def send_edition(client, token: str, update_ids: list[int], subject: str = "Today") -> int:
    response = client.post("/api/v1/editions", json={
        "subject": subject, "update_ids": update_ids, "send_at": None,
    }, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_each_subscriber_gets_exactly_their_topics(client, smtp, work, newsroom):
    edition_id = send_edition(client, newsroom["token"], newsroom["update_ids"])
    work()

    ann, bob = smtp.inbox("ann@example.com"), smtp.inbox("bob@example.com")
    assert len(ann) == 1 and len(bob) == 1
    assert headlines(ann[0]) == ["World headline", "Tech headline"]
    assert headlines(bob[0]) == ["Climate headline"]
    assert "Climate headline" not in ann[0].get_body(("plain",)).get_content()
    assert smtp.inbox("nobody@example.com") == []
    status = client.get(f"/api/v1/editions/{edition_id}",
                        headers={"Authorization": f"Bearer {newsroom['token']}"}).json
    assert status == {**status, "status": "sent", "total": 2, "sent": 2, "failed": 0,
                      "pending": 0}


def test_every_copy_carries_list_headers_and_a_unique_message_id(client, smtp, work, newsroom):
    send_edition(client, newsroom["token"], newsroom["update_ids"])
    work()

    messages = [m.message for m in smtp.messages]
    ids = {m["Message-ID"] for m in messages}
    assert len(ids) == len(messages) == 2
    for message in messages:
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        assert re.fullmatch(r"<https://news\.example\.test/unsubscribe/[\w.-]+\?e=\d+>",
                            message["List-Unsubscribe"])
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Id"] and message["Date"] and message["Feedback-ID"]
        html = message.get_body(("html",)).get_content()
        assert "/preferences/" in html and "/unsubscribe/" in html


def test_one_click_unsubscribe_stops_the_next_edition(client, smtp, work, newsroom):
    send_edition(client, newsroom["token"], newsroom["update_ids"])
    work()
    path = unsubscribe_path(smtp.inbox("ann@example.com")[0])

    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    smtp.clear()
    send_edition(client, newsroom["token"], newsroom["update_ids"], subject="Tomorrow")
    work()

    assert smtp.inbox("ann@example.com") == []
    assert len(smtp.inbox("bob@example.com")) == 1


@pytest.mark.embedded
def test_the_same_flow_works_on_the_embedded_defaults(embedded_app):
    """SQLite, the embedded Redis and the .eml outbox: what `make run` uses."""
    from newsletter.runtime import WORKER_CLASS

    runtime = embedded_app.extensions["newsletter"]
    with runtime.Session() as db:
        world, climate = make_topic(db, "world"), make_topic(db, "climate")
        ids = [make_update(db, world, "World headline").id,
               make_update(db, climate, "Climate headline").id]
        make_subscriber(db, "ann@example.com", [world])
        make_subscriber(db, "bob@example.com", [climate])
        token = make_token(db)
        db.commit()
    client = embedded_app.test_client()

    def send_and_read(subject: str) -> dict[str, EmailMessage]:
        outbox = runtime.settings.outbox
        for old in outbox.glob("*.eml"):
            old.unlink()
        send_edition(client, token, ids, subject)
        WORKER_CLASS(runtime.queues, connection=runtime.redis).work(burst=True, logging_level="WARNING")
        messages = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                    for p in sorted(Path(outbox).glob("*.eml"))]
        return {m["To"]: m for m in messages}

    first = send_and_read("Today")
    assert set(first) == {"ann@example.com", "bob@example.com"}
    assert headlines(first["ann@example.com"]) == ["World headline"]
    assert headlines(first["bob@example.com"]) == ["Climate headline"]

    path = unsubscribe_path(first["bob@example.com"])
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert set(send_and_read("Tomorrow")) == {"ann@example.com"}
