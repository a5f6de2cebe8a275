"""/subscribe is rate limited per IP and per address (Flask-Limiter, counters in Redis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from newsletter import create_app
from newsletter.subscribers import intake
from tests.factories import make_topic
from tests.subscribers.pages import csrf_token
from tests.support.app import TEST_CONFIG


@pytest.fixture
def strict_app(settings, app, db) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """A second app on the same database and Redis, with production-like low limits."""
    make_topic(db, "world")
    db.commit()
    strict = create_app(settings, {**TEST_CONFIG, "SUBSCRIBE_LIMIT_IP": "3 per minute",
                                   "SUBSCRIBE_LIMIT_EMAIL": "2 per hour"})
    yield strict
    strict.extensions["newsletter"].engine.dispose()


def post_from(app: Flask, ip: str, email: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    env = {"REMOTE_ADDR": ip}
    html = client.get("/subscribe", environ_base=env).get_data(as_text=True)
    return client.post("/subscribe", environ_base=env, data={
        "email": email, "topics": "world", "csrf_token": csrf_token(html)})


def test_too_many_sign_ups_from_one_ip_get_a_clear_429_page(strict_app) -> None:
    codes = [post_from(strict_app, "203.0.113.7", f"r{i}@example.com").status_code
             for i in range(3)]
    assert codes == [303, 303, 303]
    blocked = post_from(strict_app, "203.0.113.7", "r9@example.com")
    assert blocked.status_code == 429
    assert "Too many requests. Please wait a little and try again." in blocked.get_data(
        as_text=True)
    assert "frame-ancestors 'none'" in blocked.headers["Content-Security-Policy"]
    assert post_from(strict_app, "203.0.113.8", "r9@example.com").status_code == 303


def test_one_address_cannot_be_flooded_from_many_ips(strict_app) -> None:
    codes = [post_from(strict_app, f"198.51.100.{i}", address).status_code
             for i, address in enumerate(["victim@example.com", "VICTIM@example.com ",
                                          "victim@Example.com"], start=1)]
    assert codes == [303, 303, 429]
    assert post_from(strict_app, "198.51.100.9", "other@example.com").status_code == 303


def test_typos_from_different_people_do_not_share_a_bucket(strict_app) -> None:
    codes = [post_from(strict_app, f"192.0.2.{i}", f"not-an-address-{i}").status_code
             for i in range(1, 5)]
    assert codes == [422, 422, 422, 422]


def test_distinct_visitors_behind_one_proxy_are_not_limited_together(settings, app,
                                                                      db) -> None:
    from dataclasses import replace
    make_topic(db, "world")
    db.commit()
    proxied = create_app(replace(settings, trusted_proxies=1),
                         {**TEST_CONFIG, "SUBSCRIBE_LIMIT_IP": "3 per minute"})
    try:
        def post(visitor: str, email: str) -> int:
            client = proxied.test_client()
            env = {"REMOTE_ADDR": "10.0.0.1"}  # every request comes through the proxy
            headers = {"X-Forwarded-For": visitor}
            html = client.get("/subscribe", environ_base=env, headers=headers)
            return client.post("/subscribe", environ_base=env, headers=headers, data={
                "email": email, "topics": "world",
                "csrf_token": csrf_token(html.get_data(as_text=True))}).status_code

        assert [post(f"198.18.0.{i}", f"v{i}@example.com") for i in range(8)] == [303] * 8
        assert [post("198.18.1.1", f"w{i}@example.com") for i in range(4)] == [303] * 3 + [429]
    finally:
        proxied.extensions["newsletter"].engine.dispose()


def queued_addresses(app: Flask) -> list[str]:
    """The addresses waiting in the sign-up stream, oldest first."""
    newsletter = app.extensions["newsletter"]
    key = intake.stream_key(newsletter.settings.queue_name)
    return [fields[b"a"].decode() for _, fields in newsletter.redis.xrange(key)]


def test_a_sign_up_refused_by_its_limit_is_not_queued(strict_app) -> None:
    for i in range(3):
        post_from(strict_app, "203.0.113.20", f"kept{i}@example.com")
    assert post_from(strict_app, "203.0.113.20", "refused@example.com").status_code == 429
    assert queued_addresses(strict_app) == [f"kept{i}@example.com" for i in range(3)]


def test_a_refused_sign_up_leaves_room_for_the_next_visitor(strict_app) -> None:
    for address in ("again@example.com", "again@example.com", "again@example.com"):
        post_from(strict_app, "198.51.100.30", address)
    # the third was refused (2 per hour per address) and counted against no window: the
    # same IP's third slot is still free for someone else's address
    assert post_from(strict_app, "198.51.100.30", "else@example.com").status_code == 303
    assert queued_addresses(strict_app) == ["again@example.com", "again@example.com",
                                            "else@example.com"]
