"""The sign-up and check-your-inbox pages are rendered once per process and shared, yet
each visitor's CSRF token stays their own, the address is escaped, and a POST touches
neither the database nor Redis more than twice."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from redis.client import Pipeline, Redis
from sqlalchemy import event

from newsletter import create_app
from tests.factories import make_topic
from tests.subscribers.pages import csrf_token
from tests.support.app import TEST_CONFIG


@pytest.fixture
def cached_app(settings, app, db) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """An app that keeps its topic list (and so its rendered pages) as production does."""
    make_topic(db, "world")
    make_topic(db, "climate")
    db.commit()
    shared = create_app(settings, {**TEST_CONFIG, "SIGNUP_PAGE_CACHE_SECONDS": 600})
    yield shared
    shared.extensions["newsletter"].engine.dispose()


def test_each_visitor_of_the_shared_page_gets_their_own_csrf_token(cached_app) -> None:
    first, second = cached_app.test_client(), cached_app.test_client()
    page_one = first.get("/subscribe").get_data(as_text=True)
    page_two = second.get("/subscribe").get_data(as_text=True)
    one, two = csrf_token(page_one), csrf_token(page_two)
    assert one != two
    # the pages are the same apart from the token
    assert page_one.replace(one, "") == page_two.replace(two, "")
    form = {"email": "reader@example.com", "topics": "world"}
    assert first.post("/subscribe", data={**form, "csrf_token": two}).status_code == 400
    assert first.post("/subscribe", data={**form, "csrf_token": one}).status_code == 303


def test_a_returning_visitor_keeps_their_session_and_token(cached_app) -> None:
    client = cached_app.test_client()
    first = csrf_token(client.get("/subscribe").get_data(as_text=True))
    cached_app.test_client().get("/subscribe?topic=climate")  # someone else's visit renders it
    again = client.get("/subscribe?topic=climate")
    assert "Set-Cookie" not in again.headers  # nothing new to remember: no session write
    assert re.findall(r'value="([^"]+)"\s+checked', again.get_data(as_text=True)) == ["climate"]
    response = client.post("/subscribe", data={"email": "reader@example.com",
                                               "topics": "climate", "csrf_token": first})
    assert response.status_code == 303


def test_the_check_inbox_page_shows_each_address_escaped(cached_app) -> None:
    client = cached_app.test_client()
    html = client.get("/subscribe").get_data(as_text=True)
    # the honeypot path keeps the text as typed: the page must still escape it
    client.post("/subscribe", data={"email": "<b>bot</b>@example.com", "topics": "world",
                                    "website": "x", "csrf_token": csrf_token(html)})
    page = client.get("/subscribe/check-inbox").get_data(as_text=True)
    assert "&lt;b&gt;bot&lt;/b&gt;@example.com" in page and "<b>bot</b>" not in page

    other = cached_app.test_client()
    html = other.get("/subscribe").get_data(as_text=True)
    other.post("/subscribe", data={"email": "Second@Example.com", "topics": "world",
                                   "csrf_token": csrf_token(html)})
    page = other.get("/subscribe/check-inbox").get_data(as_text=True)
    assert "Second@example.com" in page and "bot" not in page
    resend = csrf_token(page)
    assert other.post("/subscribe/resend", data={"csrf_token": resend}).status_code == 303


def test_a_new_topic_changes_the_shared_page(cached_app, db) -> None:
    client = cached_app.test_client()
    assert 'value="science"' not in client.get("/subscribe").get_data(as_text=True)
    make_topic(db, "science")
    db.commit()
    page = client.get("/subscribe?topic=science").get_data(as_text=True)
    assert 'value="science"' in page  # a topic the cache lacks is read at once


def test_a_sign_up_post_uses_no_database_and_one_redis_round_trip(cached_app) -> None:
    client = cached_app.test_client()
    html = client.get("/subscribe").get_data(as_text=True)
    client.post("/subscribe", data={"email": "first@example.com", "topics": "world",
                                    "csrf_token": csrf_token(html)})  # loads the script
    statements: list[str] = []
    trips: list[str] = []
    engine = cached_app.extensions["newsletter"].engine
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))
    command, pipeline = Redis.execute_command, Pipeline.execute

    def one(self, *args, **kwargs):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN002, ANN003
        trips.append(str(args[0]))
        return command(self, *args, **kwargs)

    def many(self, *args, **kwargs):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN002, ANN003
        trips.append("pipeline")
        return pipeline(self, *args, **kwargs)

    Redis.execute_command, Pipeline.execute = one, many  # type: ignore[method-assign]
    try:
        response = client.post("/subscribe", data={"email": "reader@example.com",
                                                   "topics": "world",
                                                   "csrf_token": csrf_token(html)})
    finally:
        Redis.execute_command, Pipeline.execute = command, pipeline  # type: ignore[method-assign]
    assert response.status_code == 303
    assert statements == []
    assert trips == ["EVALSHA"]  # the limits and, within them, the stream append
