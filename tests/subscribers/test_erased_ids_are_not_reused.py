"""An erased subscriber's id is never given to someone new: old emails still carry their links.

PostgreSQL sequences never reuse ids; on the embedded SQLite the table needs AUTOINCREMENT.
"""

from __future__ import annotations

import pytest

from newsletter.subscribers import service
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber


def erase_then_add(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    first = make_subscriber(session, "first@example.com", [])
    session.commit()
    old_id = first.id
    service.erase(session, old_id)
    session.commit()
    second = make_subscriber(session, "second@example.com", [])
    session.commit()
    return old_id, second.id


@pytest.mark.embedded
def test_sqlite_does_not_reuse_an_erased_id(embedded_app) -> None:
    runtime = embedded_app.extensions["newsletter"]
    with runtime.Session() as session:
        old_id, new_id = erase_then_add(session)
    assert new_id != old_id
    old_link = f"/preferences/{token_for(embedded_app, Purpose.PREFERENCES, old_id)}"
    response = embedded_app.test_client().get(old_link)
    assert response.status_code == 404
    assert "second@example.com" not in response.get_data(as_text=True)


def test_postgresql_does_not_reuse_an_erased_id(db) -> None:
    old_id, new_id = erase_then_add(db)
    assert new_id != old_id


def token_for(app, purpose: Purpose, subscriber_id: int) -> str:  # type: ignore[no-untyped-def]
    from newsletter.subscribers.tokens import Tokens

    return Tokens(app.config["SECRET_KEY"]).make(purpose, subscriber_id)
