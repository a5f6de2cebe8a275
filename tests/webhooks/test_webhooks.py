"""Webhooks: registration (with the feeds' SSRF guard), the outbox written with each change,
signed calls checked by a real receiver, retries, and leases that survive a dead worker."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from newsletter.delivery import lifecycle
from newsletter.errors import ValidationError
from newsletter.models import WebhookCall, utcnow
from newsletter.subscribers import service
from newsletter.webhooks import dispatch, endpoints
from newsletter.webhooks.jobs import enqueue_due_webhooks
from newsletter.webhooks.signing import verify
from tests.factories import make_editor, make_subscriber, make_token, make_topic
from tests.support.admin import csrf_token, log_in

from .receiver import Receiver

SECRET = "a-long-enough-shared-secret"


def _register(db, url, events=("subscriber.confirmed",)):
    endpoint = endpoints.register(db, url, list(events), SECRET, allow_private=True)
    db.commit()
    return endpoint


def test_api_registers_a_webhook_and_answers_its_id(client, db):
    token = make_token(db, make_editor(db, role="admin"))
    db.commit()
    response = client.post("/api/v1/webhooks", headers={"Authorization": f"Bearer {token}"},
                           json={"url": "http://127.0.0.1:9/hooks", "secret": SECRET,
                                 "events": ["subscriber.confirmed", "edition.sent"]})
    assert response.status_code == 201, response.json
    listed = client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {token}"}).json
    assert listed == [{"id": response.json["id"], "url": "http://127.0.0.1:9/hooks",
                       "events": ["subscriber.confirmed", "edition.sent"], "disabled": False,
                       "disabled_reason": None, "last_call": None}]


@pytest.mark.parametrize("body, field", [
    ({"url": "http://127.0.0.1:9/h", "secret": SECRET, "events": ["subscriber.hacked"]}, "event"),
    ({"url": "http://127.0.0.1:9/h", "secret": SECRET, "events": []}, "events"),
    ({"url": "http://127.0.0.1:9/h", "secret": "short", "events": ["edition.sent"]}, "secret"),
    ({"url": "javascript:alert(1)", "secret": SECRET, "events": ["edition.sent"]}, "url"),
    ({"url": "ftp://example.com/h", "secret": SECRET, "events": ["edition.sent"]}, "url"),
    ({"url": "https://user:pw@example.com/h", "secret": SECRET, "events": ["edition.sent"]},
     "url"),
])
def test_api_refuses_bad_webhooks_with_a_json_error(client, db, body, field):
    token = make_token(db, make_editor(db, role="admin"))
    db.commit()
    response = client.post("/api/v1/webhooks", headers={"Authorization": f"Bearer {token}"},
                           json=body)
    assert response.status_code == 422
    assert field in response.json["error"]
    assert db.scalar(select(WebhookCall.id)) is None


@pytest.mark.parametrize("url", ["http://127.0.0.1/h", "http://10.0.0.8/h", "http://[::1]/h",
                                 "http://169.254.169.254/latest/meta-data", "http://localhost/h"])
def test_private_webhook_urls_are_refused_without_feeds_allow_private(db, url):
    with pytest.raises(ValidationError, match="private|reserved"):
        endpoints.register(db, url, ["edition.sent"], SECRET, allow_private=False)


def test_confirming_a_reader_writes_the_event_in_the_same_transaction(db):
    endpoint = _register(db, "http://127.0.0.1:9/hooks")
    reader = make_subscriber(db, "ana@example.com", status="pending")
    db.commit()
    service.confirm(db, reader.id)
    db.rollback()  # the change is undone: so is its event
    assert db.scalar(select(WebhookCall.id)) is None
    service.confirm(db, reader.id)
    db.commit()
    call = db.scalars(select(WebhookCall)).one()
    assert call.endpoint_id == endpoint.id and call.event == "subscriber.confirmed"
    body = json.loads(call.body)
    assert body["data"] == {"subscriber_id": reader.id, "email": "ana@example.com"}
    assert set(body) == {"event", "occurred_at", "data"}


def test_only_endpoints_that_chose_an_event_get_it(db):
    _register(db, "http://127.0.0.1:9/a", ["subscriber.unsubscribed"])
    chosen = _register(db, "http://127.0.0.1:9/b", ["subscriber.erased"])
    reader = make_subscriber(db)
    db.commit()
    service.erase(db, reader.id)
    db.commit()
    calls = db.scalars(select(WebhookCall)).all()
    assert [(c.endpoint_id, c.event) for c in calls] == [(chosen.id, "subscriber.erased")]


def test_each_state_change_emits_its_event(db):
    _register(db, "http://127.0.0.1:9/all", endpoints.EVENTS)
    topic = make_topic(db)
    a, b, c = (make_subscriber(db, topics=[topic]) for _ in range(3))
    db.commit()
    service.unsubscribe(db, a.id)
    service.unsubscribe(db, a.id)  # already gone: nothing new happened
    service.mark_bounced(db, b.id, "5.1.1 user unknown")
    service.complain(db, c.id)
    db.commit()
    events = [call.event for call in db.scalars(select(WebhookCall).order_by(WebhookCall.id))]
    assert events == ["subscriber.unsubscribed", "subscriber.bounced",
                      "subscriber.unsubscribed", "subscriber.complained"]


def test_pausing_an_edition_emits_edition_paused(db):
    from newsletter.editorial.editions import create_edition
    from tests.factories import make_update

    _register(db, "http://127.0.0.1:9/e", ["edition.paused"])
    topic = make_topic(db)
    update = make_update(db, topic)
    edition = create_edition(db, "Morning", [update.id], utcnow() + timedelta(hours=1))
    db.commit()
    lifecycle.pause(db, edition.id, reason="checking a typo")
    db.commit()
    body = json.loads(db.scalars(select(WebhookCall)).one().body)
    assert body["event"] == "edition.paused"
    assert body["data"]["edition_id"] == edition.id
    assert body["data"]["reason"] == "checking a typo"


def test_a_receiver_verifies_the_signature_of_a_call_made_by_the_worker(runtime, db, work):
    with Receiver() as receiver:
        _register(db, receiver.url)
        reader = make_subscriber(db, status="pending")
        db.commit()
        service.confirm(db, reader.id)
        db.commit()
        assert enqueue_due_webhooks(runtime)
        work()
    assert len(receiver.calls) == 1
    got = receiver.calls[0]
    assert got.headers["Content-Type"] == "application/json"
    assert verify(SECRET, got.headers["X-Newsletter-Timestamp"], got.body,
                  got.headers["X-Newsletter-Signature"], now=int(time.time()))
    assert not verify("another-secret-entirely", got.headers["X-Newsletter-Timestamp"],
                      got.body, got.headers["X-Newsletter-Signature"], now=int(time.time()))
    assert not verify(SECRET, got.headers["X-Newsletter-Timestamp"], got.body + b" ",
                      got.headers["X-Newsletter-Signature"], now=int(time.time()))
    assert json.loads(got.body)["event"] == "subscriber.confirmed"
    call = db.scalars(select(WebhookCall)).one()
    db.refresh(call)
    assert (call.status, call.attempts, call.last_status_code) == ("delivered", 1, 200)


def test_a_replayed_call_outside_the_window_fails_verification():
    from newsletter.webhooks.signing import signature

    sent_at = 1_700_000_000
    body = b'{"event":"edition.sent"}'
    header = signature(SECRET, sent_at, body)
    assert verify(SECRET, str(sent_at), body, header, now=sent_at + 10)
    assert not verify(SECRET, str(sent_at), body, header, now=sent_at + 3600)


def test_a_failing_endpoint_is_retried_with_backoff_until_it_answers(runtime, db):
    with Receiver(statuses=[500, 503, 204]) as receiver:
        _register(db, receiver.url)
        reader = make_subscriber(db, status="pending")
        db.commit()
        service.confirm(db, reader.id)
        db.commit()
        start = utcnow()
        clock = {"now": start}

        def run():
            return dispatch.deliver_due(runtime.Session, allow_private=True,
                                        now=lambda: clock["now"])

        assert run().retrying == 1
        call = db.scalars(select(WebhookCall)).one()
        db.refresh(call)
        assert (call.status, call.last_status_code, call.last_response) == \
            ("pending", 500, "answer 1")
        assert call.next_attempt_at == start + timedelta(seconds=30)
        assert run().delivered == 0  # not due yet: nothing is sent early
        assert len(receiver.calls) == 1
        clock["now"] = start + timedelta(seconds=31)
        assert run().retrying == 1
        db.refresh(call)
        assert call.next_attempt_at == clock["now"] + timedelta(seconds=60)  # longer wait
        clock["now"] += timedelta(seconds=61)
        assert run().delivered == 1
    db.refresh(call)
    assert (call.status, call.attempts, call.last_status_code) == ("delivered", 3, 204)
    assert len(receiver.calls) == 3
    assert len({c.body for c in receiver.calls}) == 1  # every retry sends the same body
    assert len({c.headers["X-Newsletter-Call"] for c in receiver.calls}) == 1


def test_a_call_still_failing_after_a_day_is_given_up(runtime, db):
    with Receiver(statuses=[500]) as receiver:
        _register(db, receiver.url)
        reader = make_subscriber(db, status="pending")
        db.commit()
        service.confirm(db, reader.id)
        db.commit()
        clock = {"now": utcnow()}
        call = db.scalars(select(WebhookCall)).one()
        for _ in range(30):  # each retry made the moment it comes due
            result = dispatch.deliver_due(runtime.Session, allow_private=True,
                                          now=lambda: clock["now"])
            db.refresh(call)
            if result.failed:
                break
            clock["now"] = call.next_attempt_at
    assert call.status == "failed"
    assert call.last_attempt_at - call.created_at <= timedelta(days=1)
    assert len(receiver.calls) == call.attempts > 3


def test_a_call_leased_by_a_worker_that_died_is_made_once_the_lease_runs_out(runtime, db):
    with Receiver() as receiver:
        _register(db, receiver.url)
        reader = make_subscriber(db, status="pending")
        db.commit()
        service.confirm(db, reader.id)
        db.commit()
        now = utcnow()
        with runtime.Session() as dead_worker:  # leased and committed, then never called
            assert len(dispatch.lease(dead_worker, now)) == 1
            dead_worker.commit()
        result = dispatch.deliver_due(runtime.Session, allow_private=True, now=lambda: now)
        assert (result.delivered, len(receiver.calls)) == (0, 0)
        later = now + dispatch.LEASE + timedelta(seconds=1)
        result = dispatch.deliver_due(runtime.Session, allow_private=True, now=lambda: later)
    assert result.delivered == 1 and len(receiver.calls) == 1


def test_the_worker_refuses_a_private_address_even_if_registration_allowed_it(runtime, db):
    with Receiver() as receiver:
        _register(db, receiver.url)
        reader = make_subscriber(db, status="pending")
        db.commit()
        service.confirm(db, reader.id)
        db.commit()
        result = dispatch.deliver_due(runtime.Session, allow_private=False)
    assert result.retrying == 1 and receiver.calls == []
    call = db.scalars(select(WebhookCall)).one()
    db.refresh(call)
    assert call.last_error.startswith("refused") and call.last_status_code is None


def test_admin_page_registers_lists_the_last_answer_and_removes(client, db, runtime):
    editor = make_editor(db, role="admin")
    db.commit()
    log_in(client, editor.email)
    with Receiver(statuses=[418]) as receiver:
        response = client.post("/admin/webhooks", data={
            "url": receiver.url, "secret": SECRET, "events": ["subscriber.confirmed"],
            "csrf_token": csrf_token(client, "/admin/webhooks")})
        assert response.status_code == 302
        reader = make_subscriber(db, status="pending")
        db.commit()
        service.confirm(db, reader.id)
        db.commit()
        dispatch.deliver_due(runtime.Session, allow_private=True)
    page = client.get("/admin/webhooks").get_data(as_text=True)
    assert receiver.url in page and "HTTP 418" in page and "answer 1" in page
    endpoint_id = db.scalars(select(WebhookCall.endpoint_id)).one()
    response = client.post(f"/admin/webhooks/{endpoint_id}/delete",
                           data={"csrf_token": csrf_token(client, "/admin/webhooks")})
    assert response.status_code == 302
    assert receiver.url not in client.get("/admin/webhooks").get_data(as_text=True)
    assert db.scalar(select(WebhookCall.id)) is None


def test_admin_page_shows_a_refused_url_with_a_4xx(client, db):
    editor = make_editor(db, role="admin")
    db.commit()
    log_in(client, editor.email)
    response = client.post("/admin/webhooks", data={
        "url": "gopher://example.com/", "secret": SECRET, "events": ["edition.sent"],
        "csrf_token": csrf_token(client, "/admin/webhooks")})
    assert response.status_code == 422
    assert "http(s)" in response.get_data(as_text=True)


KILLABLE_WORKER = """
import sys
from sqlalchemy.orm import sessionmaker
from newsletter.runtime import make_engine
from newsletter.webhooks import dispatch
dispatch.deliver_due(sessionmaker(make_engine(sys.argv[1])), allow_private=True)
"""


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_of_a_call_loses_no_event(runtime, db, postgres_url):
    with Receiver(hold_first=True) as receiver:
        _register(db, receiver.url)
        reader = make_subscriber(db, status="pending")
        db.commit()
        service.confirm(db, reader.id)
        db.commit()
        worker = subprocess.Popen([sys.executable, "-c", KILLABLE_WORKER, postgres_url])
        deadline = time.monotonic() + 60
        while not receiver.calls and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.05)
        assert len(receiver.calls) == 1  # the call is in flight ...
        worker.send_signal(signal.SIGKILL)  # ... when its worker dies
        worker.wait(10)
        receiver.release()
        call = db.scalars(select(WebhookCall)).one()
        db.refresh(call)
        assert (call.status, call.attempts, call.delivered_at) == ("pending", 1, None)
        later = utcnow() + dispatch.LEASE + timedelta(seconds=1)
        result = dispatch.deliver_due(runtime.Session, allow_private=True, now=lambda: later)
    assert result.delivered == 1 and len(receiver.calls) == 2
    assert receiver.calls[0].body == receiver.calls[1].body
    db.refresh(call)
    assert (call.status, call.attempts) == ("delivered", 2)
