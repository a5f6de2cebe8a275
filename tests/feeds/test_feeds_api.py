"""/api/v1 feed calls: add, poll now, list articles and stories; bad input is a JSON 4xx."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from newsletter.models import Feed
from tests.factories import make_token

from .samples import items, rss2
from .server import Route


@pytest.fixture
def auth(db, topic):
    token = make_token(db)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def test_add_poll_and_list(client, auth, feed_server):
    url = feed_server.add("/api.xml", Route(rss2(items(3))))
    created = client.post("/api/v1/topics/climate/feeds", json={"url": url, "poll_minutes": 15},
                          headers=auth)
    assert created.status_code == 201
    feed_id = created.json["id"]
    polled = client.post(f"/api/v1/feeds/{feed_id}/poll", headers=auth)
    assert polled.status_code == 200
    assert polled.json == {"status": "ok", "new": 3, "updated": 0, "error": None}
    listed = client.get("/api/v1/topics/climate/articles", headers=auth).json
    assert len(listed) == 3
    assert set(listed[0]) >= {"id", "url", "title", "outlet", "summary", "published_at",
                              "reading_minutes", "story_id"}
    assert listed[0]["published_at"].endswith("Z")
    stories = client.get("/api/v1/topics/climate/stories", headers=auth).json
    assert sum(s["article_count"] for s in stories) == 3
    assert all(s["outlets"] == ["Example Times"] for s in stories)


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"url": "ftp://example.com/feed"}, 422, "http"),
    ({"url": "javascript:alert(1)"}, 422, "http"),
    ({"url": ""}, 422, "url"),
    ({"url": 42}, 422, "url"),
    ({"url": "https://example.com/feed", "poll_minutes": "often"}, 422, "poll_minutes"),
    ({"url": "https://example.com/feed", "poll_minutes": 0}, 422, "poll_minutes"),
    ({"url": "https://example.com/feed", "poll_minutes": 1.5}, 422, "poll_minutes"),
    ({"url": "https://example.com/feed", "poll_minutes": True}, 422, "poll_minutes"),
    (["not", "an", "object"], 422, "object"),
])
def test_bad_feed_input_is_a_json_4xx(client, db, auth, body, status, field):
    response = client.post("/api/v1/topics/climate/feeds", json=body, headers=auth)
    assert response.status_code == status
    assert field in response.json["error"]
    assert db.scalar(select(func.count()).select_from(Feed)) == 0


def test_private_feed_address_is_422_when_not_allowed(app, client, auth, monkeypatch):
    import dataclasses

    runtime = app.extensions["newsletter"]
    monkeypatch.setattr(runtime, "settings",
                        dataclasses.replace(runtime.settings, feeds_allow_private=False))
    response = client.post("/api/v1/topics/climate/feeds",
                           json={"url": "http://169.254.169.254/latest/"}, headers=auth)
    assert response.status_code == 422 and "private" in response.json["error"]


def test_unknown_topic_and_feed_are_404(client, auth):
    assert client.post("/api/v1/topics/nope/feeds", json={"url": "https://e.com/f"},
                       headers=auth).status_code == 404
    assert client.post("/api/v1/feeds/999/poll", headers=auth).status_code == 404
    assert client.get("/api/v1/topics/nope/articles", headers=auth).status_code == 404
    assert client.get("/api/v1/topics/nope/stories", headers=auth).status_code == 404


def test_duplicate_feed_is_409(client, auth):
    body = {"url": "https://example.com/feed.xml"}
    assert client.post("/api/v1/topics/climate/feeds", json=body, headers=auth).status_code == 201
    assert client.post("/api/v1/topics/climate/feeds", json=body, headers=auth).status_code == 409


def test_feed_calls_need_a_token(client, topic):
    assert client.get("/api/v1/topics/climate/articles").status_code == 401


def test_openapi_describes_the_feed_calls(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/topics/{slug}/feeds", "/feeds/{feed_id}/poll", "/topics/{slug}/articles",
            "/topics/{slug}/stories"} <= set(paths)
