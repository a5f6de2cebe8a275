"""Simultaneous sign-ups for one address leave exactly one subscriber row (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from newsletter.models import Subscriber
from newsletter.subscribers import service
from tests.factories import make_topic
from tests.subscribers.pages import csrf_token


def together(count: int, action: Callable[[int], object]) -> list[object]:
    """Run action(i) in `count` threads released at the same instant; return the results."""
    start = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = action(i)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_concurrent_sign_ups_in_the_service_create_one_subscriber(runtime, db) -> None:
    make_topic(db, "world")
    make_topic(db, "climate")
    db.commit()

    def sign_up(i: int) -> str:
        with runtime.session() as session:
            address = "Same@Example.com" if i % 2 else "same@example.com"
            return service.subscribe(session, address, ["world", "climate"][: 1 + i % 2]).mail

    results = together(6, sign_up)
    assert all(isinstance(r, service.MailToSend) for r in results), results
    assert results.count(service.MailToSend.CONFIRM) == 1  # the others are throttled
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 1


def test_concurrent_form_posts_create_one_subscriber(app, db, work) -> None:
    make_topic(db, "world")
    db.commit()
    clients = [app.test_client() for _ in range(4)]
    tokens = [csrf_token(c.get("/subscribe").get_data(as_text=True)) for c in clients]

    def post(i: int) -> int:
        return clients[i].post("/subscribe", data={
            "email": "same@example.com", "topics": "world", "csrf_token": tokens[i]}).status_code

    assert together(len(clients), post) == [303] * len(clients)
    work()
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 1
