"""Webhook endpoints are the admins' to manage; one failing for a day is disabled with its
reason shown and can be enabled again; finished calls are deleted after the retention."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from newsletter.jobs import tick
from newsletter.models import WebhookCall, WebhookEndpoint, utcnow
from newsletter.subscribers import service
from newsletter.webhooks import dispatch, endpoints, retention
from tests.factories import make_editor, make_subscriber, make_token
from tests.support.admin import csrf_token, log_in

from .receiver import Receiver

SECRET = "a-long-enough-shared-secret"


def test_a_plain_editor_cannot_manage_webhooks(client, db):
    editor = make_editor(db)
    endpoint = endpoints.register(db, "http://127.0.0.1:9/hooks", ["edition.sent"], SECRET,
                                  allow_private=True)
    token = make_token(db, editor)
    db.commit()
    auth = {"Authorization": f"Bearer {token}"}
    for response in (
        client.get("/api/v1/webhooks", headers=auth),
        client.post("/api/v1/webhooks", headers=auth, json={
            "url": "https://example.com/h", "events": ["edition.sent"], "secret": SECRET}),
        client.delete(f"/api/v1/webhooks/{endpoint.id}", headers=auth),
    ):
        assert response.status_code == 403
        assert "admins" in response.json["error"]
    log_in(client, editor.email)
    assert client.get("/admin/webhooks").status_code == 403
    assert 'href="/admin/webhooks"' not in client.get("/admin/").get_data(as_text=True)
    token_page = csrf_token(client, "/admin/tokens")
    for path in ("/admin/webhooks", f"/admin/webhooks/{endpoint.id}/delete",
                 f"/admin/webhooks/{endpoint.id}/enable"):
        assert client.post(path, data={"csrf_token": token_page, "url": "https://example.com/h",
                                       "secret": SECRET, "events": ["edition.sent"]}
                           ).status_code == 403
    assert db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 1


def test_an_admin_manages_webhooks_over_the_api(client, db):
    token = make_token(db, make_editor(db, role="admin"))
    db.commit()
    auth = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/v1/webhooks", headers=auth, json={
        "url": "http://127.0.0.1:9/hooks", "events": ["edition.sent"], "secret": SECRET})
    assert response.status_code == 201
    listed = client.get("/api/v1/webhooks", headers=auth).json
    assert [(w["url"], w["disabled"]) for w in listed] == [("http://127.0.0.1:9/hooks", False)]


def _confirm_someone(db) -> None:
    reader = make_subscriber(db, status="pending")
    db.commit()
    service.confirm(db, reader.id)
    db.commit()


def test_an_endpoint_failing_for_a_day_is_disabled_shown_and_enabled_again(runtime, db,
                                                                           client):
    admin = make_editor(db, role="admin")
    db.commit()
    with Receiver(statuses=[500]) as receiver:
        endpoint = endpoints.register(db, receiver.url, ["subscriber.confirmed"], SECRET,
                                      allow_private=True)
        db.commit()
        _confirm_someone(db)
        start = utcnow()
        clock = {"now": start}

        def run():
            return dispatch.deliver_due(runtime.Session, allow_private=True,
                                        now=lambda: clock["now"])

        run()
        db.refresh(endpoint)
        assert endpoint.failing_since == start and endpoint.disabled_at is None
        for step in range(1, 61):  # 30 hours, half an hour at a time
            clock["now"] = start + timedelta(minutes=30 * step)
            if step % 12 == 0:
                _confirm_someone(db)  # new events keep coming, and keep failing
            run()
            db.refresh(endpoint)
            if endpoint.disabled_at is not None:
                break
            assert clock["now"] - start < dispatch.DISABLE_AFTER
        db.refresh(endpoint)
        assert endpoint.disabled_at is not None
        assert endpoint.disabled_at - start >= dispatch.DISABLE_AFTER
        assert "every call failed" in endpoint.disabled_reason
        assert "HTTP 500" in endpoint.disabled_reason
        made = len(receiver.calls)
        _confirm_someone(db)
        clock["now"] += timedelta(hours=1)
        assert run().delivered + run().retrying == 0  # disabled: nothing is sent
        assert len(receiver.calls) == made
        waiting = db.scalar(select(func.count()).select_from(WebhookCall).where(
            WebhookCall.status == "pending"))
        assert waiting >= 1

        log_in(client, admin.email)
        page = client.get("/admin/webhooks").get_data(as_text=True)
        assert "disabled" in page and "every call failed" in page and "HTTP 500" in page
        receiver.statuses = [500] * made + [204]
        response = client.post(f"/admin/webhooks/{endpoint.id}/enable",
                               data={"csrf_token": csrf_token(client, "/admin/webhooks")})
        assert response.status_code == 302
        db.refresh(endpoint)
        assert endpoint.disabled_at is None and endpoint.disabled_reason == ""
        assert dispatch.deliver_due(runtime.Session, allow_private=True).delivered >= 1
        assert len(receiver.calls) > made
    db.refresh(endpoint)
    assert endpoint.failing_since is None
    assert "Enable again" not in client.get("/admin/webhooks").get_data(as_text=True)


def _call(db, endpoint_id: int, status: str, age: timedelta) -> None:
    at = utcnow() - age
    db.add(WebhookCall(endpoint_id=endpoint_id, event="edition.sent", body="{}", status=status,
                       created_at=at, next_attempt_at=at + timedelta(minutes=1)))


@pytest.mark.parametrize("days", [30, 7])
def test_the_tick_deletes_finished_calls_older_than_the_retention(runtime, db, days):
    runtime.settings = dataclasses.replace(runtime.settings, webhook_call_retention_days=days)
    endpoint = endpoints.register(db, "http://127.0.0.1:9/hooks", ["edition.sent"], SECRET,
                                  allow_private=True)
    db.flush()
    old, recent = timedelta(days=days, hours=1), timedelta(days=days - 1)
    for status in ("delivered", "failed", "pending"):
        _call(db, endpoint.id, status, old)
        _call(db, endpoint.id, status, recent)
    db.commit()
    assert tick()["purged_webhook_calls"] == 2
    db.expire_all()
    left = db.execute(select(WebhookCall.status, WebhookCall.created_at)).all()
    assert sorted(s for s, _ in left) == ["delivered", "failed", "pending", "pending"]
    assert all(at > utcnow() - old for s, at in left if s != "pending")


def test_calls_of_a_disabled_endpoint_are_given_up_after_a_day_then_deleted(db):
    endpoint = endpoints.register(db, "http://127.0.0.1:9/hooks", ["edition.sent"], SECRET,
                                  allow_private=True)
    endpoint.disabled_at = utcnow() - timedelta(days=40)
    db.flush()
    _call(db, endpoint.id, "pending", timedelta(days=2))
    _call(db, endpoint.id, "pending", timedelta(hours=2))
    db.commit()
    assert retention.purge(db, utcnow(), 30) == 0
    db.commit()
    assert sorted(db.scalars(select(WebhookCall.status))) == ["failed", "pending"]
    assert retention.purge(db, utcnow() + timedelta(days=31), 30) == 1
