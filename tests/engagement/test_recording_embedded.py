"""Clicks are recorded on the embedded defaults too (SQLite and the embedded Redis)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from newsletter import keys
from newsletter.editorial.editions import create_edition
from newsletter.engagement.links import ClickRef, ClickSigner
from newsletter.engagement.recording import GROUP, drain, push
from newsletter.models import Click, Delivery, utcnow
from tests.factories import make_subscriber, make_topic, make_update
from tests.support.engagement import BROWSER


@pytest.mark.embedded
def test_clicks_are_stored_once_on_sqlite(embedded_app):
    from newsletter.delivery import lifecycle

    runtime = embedded_app.extensions["newsletter"]
    secret = runtime.settings.secret_key
    with runtime.Session() as db:
        world = make_topic(db, "world")
        reader = make_subscriber(db, "ann@example.com", [world])
        edition = create_edition(db, "Today", [make_update(db, world).id], utcnow())
        lifecycle.start(db, edition.id, list_name="Test", base_url=runtime.settings.base_url,
                        track=ClickSigner(secret).link_path)
        db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
        db.commit()
        signer = ClickSigner(secret)
        path = signer.link_path(edition.id, 0) + signer.reader_part(edition.id, reader.id)
        client = embedded_app.test_client()
        assert client.get(path, headers={"User-Agent": BROWSER}).status_code == 302
        # the same entry read twice (a drain killed after its commit): stored once
        push(runtime.redis, ClickRef(edition.id, 0, reader.id), "human", utcnow())
        entries = runtime.redis.xrange(keys.CLICK_EVENTS)
        assert drain(db, runtime.redis) == 2
        runtime.redis.xadd(keys.CLICK_EVENTS, entries[1][1], id=b"9999999999999-0")
        db.execute(Click.__table__.update().where(Click.event == entries[1][0].decode())
                   .values(event="9999999999999-0"))
        db.commit()
        assert drain(db, runtime.redis) == 0
        assert db.scalar(select(func.count()).select_from(Click)) == 2
        assert runtime.redis.xpending(keys.CLICK_EVENTS, GROUP)["pending"] == 0
