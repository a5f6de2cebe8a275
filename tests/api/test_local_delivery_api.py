"""POST /api/v1/editions with local delivery: the fields are stored, the start is the first
wave, and bad values are a 422 JSON error that writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from newsletter.models import Edition
from tests.factories import make_subscriber, make_token, make_topic, make_update


@pytest.fixture
def auth(db):
    token = make_token(db)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def update_id(db) -> int:
    world = make_topic(db, "world")
    update = make_update(db, world)
    make_subscriber(db, "tokyo@example.com", [world], timezone="Asia/Tokyo")
    make_subscriber(db, "lima@example.com", [world], timezone="America/Lima")
    db.commit()
    return update.id


def test_a_local_edition_is_stored_and_starts_at_its_first_wave(client, db, auth, update_id,
                                                                runtime):
    response = client.post("/api/v1/editions", json={
        "update_ids": [update_id], "send_at": "2031-07-01", "timezone": "Europe/Berlin",
        "delivery": "local", "local_time": "07:30", "late_readers": "skip"}, headers=auth)
    assert response.status_code == 201, response.json
    edition = db.get(Edition, response.json["id"])
    assert (edition.delivery, edition.local_time, edition.late_readers) == ("local", "07:30", "skip")
    assert edition.send_at == datetime(2031, 7, 1, 5, 30, tzinfo=UTC)  # Berlin's 07:30 (CEST)
    assert edition.starts_at == datetime(2031, 6, 30, 22, 30, tzinfo=UTC)  # Tokyo's 07:30
    [job] = runtime.queue.scheduled_job_registry.get_job_ids()
    assert runtime.queue.scheduled_job_registry.get_scheduled_time(job) == edition.starts_at


def test_without_delivery_an_edition_goes_at_its_send_time(client, db, auth, update_id):
    response = client.post("/api/v1/editions", json={
        "update_ids": [update_id], "send_at": "2031-07-01T09:00:00Z"}, headers=auth)
    assert response.status_code == 201
    edition = db.get(Edition, response.json["id"])
    assert edition.delivery == "at_time" and edition.local_time is None
    assert edition.starts_at == edition.send_at == datetime(2031, 7, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("extra, message", [
    ({"delivery": "sometime"}, "delivery must be"),
    ({"delivery": 1}, "delivery must be"),
    ({"delivery": "local"}, "local_time"),
    ({"delivery": "local", "local_time": "7:30"}, "local_time"),
    ({"delivery": "local", "local_time": "24:00"}, "local_time"),
    ({"delivery": "local", "local_time": ["07:30"]}, "local_time"),
    ({"delivery": "local", "local_time": "07:30", "late_readers": "later"}, "late_readers"),
    ({"delivery": "local", "local_time": "07:30", "send_at": "2001-01-01"}, "every time zone"),
    ({"delivery": "local", "local_time": "07:30", "send_at": "next week"}, "ISO-8601"),
    ({"delivery": "local", "local_time": "07:30", "send_at": 20310701}, "ISO-8601"),
    ({"delivery": "local", "local_time": "07:30", "send_at": "9999-12-31"}, "send_at"),
])
def test_bad_local_delivery_values_are_refused(client, db, auth, update_id, extra, message):
    body = {"update_ids": [update_id], "send_at": "2031-07-01", **extra}
    response = client.post("/api/v1/editions", json=body, headers=auth)
    assert response.status_code == 422, response.json
    assert message in response.json["error"]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Edition)) == 0


def test_the_openapi_document_describes_the_local_delivery_fields(client):
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["Edition"]
    assert schema["properties"]["delivery"]["enum"] == ["at_time", "local"]
    assert schema["properties"]["late_readers"]["enum"] == ["send_now", "skip"]
    assert "HH:MM" in schema["properties"]["local_time"]["description"]
