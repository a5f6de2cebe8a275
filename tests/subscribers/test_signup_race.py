"""Two simultaneous sign-ups for one address leave exactly one subscriber row (PostgreSQL)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from newsletter.models import Subscriber
from tests.factories import make_topic
from tests.subscribers.pages import csrf_token


def test_concurrent_sign_ups_create_one_subscriber(app, db) -> None:
    make_topic(db, "world")
    make_topic(db, "climate")
    db.commit()
    clients = [app.test_client() for _ in range(4)]
    tokens = [csrf_token(c.get("/subscribe").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))
    codes: list[int] = []

    def post(i: int) -> None:
        start.wait()
        response = clients[i].post("/subscribe", data={
            "email": "Same@Example.com" if i % 2 else "same@example.com",
            "topics": ["world", "climate"][: 1 + i % 2], "csrf_token": tokens[i]})
        codes.append(response.status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert codes == [200] * len(clients)
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 1
