"""Sign-up to confirmation on the `make run` defaults: SQLite, embedded Redis, .eml outbox."""

from __future__ import annotations

import email
import re
from email import policy
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from newsletter.models import Subscriber, SubscriberStatus
from newsletter.runtime import WORKER_CLASS
from tests.factories import make_topic
from tests.subscribers.pages import csrf_token, sign_up


@pytest.mark.embedded
def test_sign_up_and_confirm_on_the_embedded_defaults(embedded_app) -> None:
    runtime = embedded_app.extensions["newsletter"]
    with runtime.Session() as db:
        make_topic(db, "world")
        db.commit()
    client = embedded_app.test_client()
    assert sign_up(client, "local@example.com", ["world"]).status_code == 200
    WORKER_CLASS(runtime.queues, connection=runtime.redis).work(burst=True, logging_level="WARNING")

    [path] = list(runtime.settings.outbox.glob("*.eml"))
    mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    link = re.search(r"http://127\.0\.0\.1:8000/confirm/\S+",
                     mail.get_body(("plain",)).get_content()).group(0)
    confirm = urlsplit(link).path
    page = client.get(confirm).get_data(as_text=True)
    assert client.post(confirm, data={"csrf_token": csrf_token(page)}).status_code == 302
    with runtime.Session() as db:
        assert db.scalar(select(Subscriber.status)) == SubscriberStatus.ACTIVE
