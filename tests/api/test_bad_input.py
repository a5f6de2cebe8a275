"""The JSON API answers bad input with a clear 4xx JSON error and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from newsletter.models import Edition, Topic, TopicUpdate
from tests.factories import make_token, make_topic, make_update


@pytest.fixture
def auth(db):
    token = make_token(db)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nl_forged", "Basic abc", "bearer "])
def test_missing_or_forged_token_is_refused(client, db, header):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/topics", json={"slug": "x", "name": "X"}, headers=headers)
    assert response.status_code == 401
    assert "token" in response.json["error"]
    assert count(db, Topic) == 0


def test_openapi_document_is_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"].startswith("3.")


def test_non_json_body_is_a_clear_error(client, db, auth):
    response = client.post("/api/v1/topics", data="slug=x", headers=auth)
    assert response.status_code == 400
    assert "JSON" in response.json["error"]


@pytest.mark.parametrize("body, field", [
    ({"slug": "Not A Slug", "name": "X"}, "Slug"),
    ({"slug": "ok", "name": ""}, "name"),
    ({"slug": "ok", "name": "x" * 121}, "name"),
    ({"slug": "ok", "name": 7}, "name"),
    ([1, 2], "object"),
])
def test_invalid_topic_is_rejected(client, db, auth, body, field):
    response = client.post("/api/v1/topics", json=body, headers=auth)
    assert response.status_code == 422
    assert field in response.json["error"]
    assert count(db, Topic) == 0


def test_duplicate_topic_slug_conflicts(client, db, auth):
    assert client.post("/api/v1/topics", json={"slug": "world", "name": "World"},
                       headers=auth).status_code == 201
    response = client.post("/api/v1/topics", json={"slug": "world", "name": "Again"}, headers=auth)
    assert response.status_code == 409
    assert count(db, Topic) == 1


def test_update_for_unknown_topic_is_not_found(client, db, auth):
    response = client.post("/api/v1/topics/nope/updates", json={"headline": "H"}, headers=auth)
    assert response.status_code == 404
    assert count(db, TopicUpdate) == 0


@pytest.mark.parametrize("body", [
    {"headline": ""},
    {"headline": "H", "bullets": "not a list"},
    {"headline": "H", "articles": [{"url": "javascript:alert(1)", "title": "t"}]},
    {"headline": "H", "articles": [{"url": "https://a.example/x", "title": "t",
                                    "reading_minutes": 0}]},
    {"headline": "H", "articles": [{"url": "https://a.example/x", "title": "t"}], "featured": 3},
    {"headline": "H", "status": "live"},
])
def test_invalid_update_is_rejected_and_nothing_written(client, db, auth, body):
    make_topic(db, "world")
    db.commit()
    response = client.post("/api/v1/topics/world/updates", json=body, headers=auth)
    assert response.status_code == 422, response.json
    assert response.json["error"]
    assert count(db, TopicUpdate) == 0


@pytest.mark.parametrize("body, message", [
    ({"update_ids": []}, "at least one"),
    ({"update_ids": [999]}, "Unknown update"),
    ({"update_ids": "1"}, "list"),
    ({"update_ids": [True]}, "list"),
    ({"update_ids": ["1"], "send_at": None}, "list"),
    ({"update_ids": None}, "list"),
    ({"send_at": "yesterday", "update_ids": ["x"]}, "ISO-8601"),
    ({"send_at": "2001-01-01T00:00:00Z", "update_ids": ["x"]}, "past"),
    ({"send_at": "2099-01-01T09:00", "timezone": "Mars/Olympus", "update_ids": ["x"]}, "time zone"),
    ({"subject": "Hi\r\nBcc: victim@example.com", "update_ids": ["UPDATE"]}, "subject"),
])
def test_invalid_edition_is_rejected_and_nothing_written(client, db, auth, body, message):
    update = make_update(db, make_topic(db, "world"))
    db.commit()
    body = {**body, "update_ids": [update.id if i == "UPDATE" else i for i in body["update_ids"]]
            if isinstance(body.get("update_ids"), list) else body.get("update_ids")}
    response = client.post("/api/v1/editions", json=body, headers=auth)
    assert response.status_code == 422, response.json
    assert message in response.json["error"]
    assert count(db, Edition) == 0


def test_unknown_edition_is_not_found(client, auth):
    response = client.get("/api/v1/editions/12345", headers=auth)
    assert response.status_code == 404
    assert response.json == {"error": "No edition 12345."}


def test_unknown_api_route_is_a_json_404(client, auth):
    response = client.get("/api/v1/nothing-here", headers=auth)
    assert response.status_code == 404
    assert "error" in response.json


@pytest.mark.parametrize("path", ["/api/v1/editions/99999999999999999999",
                                  "/api/v1/editions/2147483648"])
def test_ids_beyond_the_database_range_are_not_found(client, auth, path):
    response = client.get(path, headers=auth)
    assert response.status_code == 404
    assert "error" in response.json


@pytest.mark.parametrize("update_id", [99999999999999999999, 2147483648, -1, 0])
def test_update_ids_beyond_the_database_range_are_unknown(client, db, auth, update_id):
    response = client.post("/api/v1/editions", json={"update_ids": [update_id]}, headers=auth)
    assert response.status_code == 422, response.json
    assert "Unknown update" in response.json["error"]
    assert count(db, Edition) == 0


@pytest.mark.parametrize("status", [["x"], {"a": 1}, 5, None])
def test_an_update_status_that_is_not_text_is_rejected(client, db, auth, status):
    make_topic(db, "world")
    db.commit()
    response = client.post("/api/v1/topics/world/updates", json={"headline": "H",
                                                                 "status": status}, headers=auth)
    assert response.status_code == 422, response.json
    assert "status" in response.json["error"]
    assert count(db, TopicUpdate) == 0


@pytest.mark.parametrize("send_at", [None, "2099-01-01T09:00"])
@pytest.mark.parametrize("timezone", [5, ["UTC"], {"tz": "UTC"}, True])
def test_a_timezone_that_is_not_text_is_rejected(client, db, auth, send_at, timezone):
    update = make_update(db, make_topic(db, "world"))
    db.commit()
    response = client.post("/api/v1/editions", json={
        "update_ids": [update.id], "send_at": send_at, "timezone": timezone}, headers=auth)
    assert response.status_code == 422, response.json
    assert "time zone" in response.json["error"]
    assert count(db, Edition) == 0


@pytest.mark.parametrize("send_at, timezone", [("9999-12-31T23:59", "Pacific/Kiritimati"),
                                               ("9999-12-31T23:59", "America/New_York"),
                                               ("2999-01-01T00:00", "Asia/Tokyo"),
                                               ("9999-12-31T23:59:59+14:00", "UTC")])
def test_a_send_time_past_the_last_representable_date_is_rejected(client, db, auth, send_at,
                                                                  timezone):
    update = make_update(db, make_topic(db, "world"))
    db.commit()
    response = client.post("/api/v1/editions", json={
        "update_ids": [update.id], "send_at": send_at, "timezone": timezone}, headers=auth)
    assert response.status_code == 422, response.json
    assert "send_at" in response.json["error"]
    assert count(db, Edition) == 0
