"""Digests are editions the service built: not in the public archive or the editors'
list of editions (they have their own), and an update a digest carried is still offered
for the next edition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsletter.editorial.editions import unsent_published_updates
from tests.factories import make_topic
from tests.support.admin import log_in
from tests.support.briefings import Clock, editions_of_kind, publish, reader

MORNING = datetime(2026, 5, 4, 7, tzinfo=UTC)


def test_a_digest_is_listed_only_among_digests_and_frees_its_updates_for_editions(
        app, client, db, runtime, smtp):
    from tests.factories import make_editor

    world = make_topic(db, "world")
    update = publish(db, world, "Digest only headline", MORNING - timedelta(hours=2))
    reader(db, "ann@example.com", [world], since=MORNING - timedelta(days=1))
    editor = make_editor(db, "editor@newsroom.example")
    db.commit()
    Clock(runtime, smtp).tick(MORNING)
    [digest_id] = editions_of_kind(runtime, "digest")

    assert client.get(f"/archive/{digest_id}").status_code == 404
    assert "Digest only headline" not in client.get("/archive").get_data(as_text=True)
    admin = app.test_client()
    log_in(admin, editor.email)
    listed = admin.get("/admin/editions").get_data(as_text=True)
    assert f"/admin/editions/{digest_id}" not in listed
    digests = admin.get("/admin/editions?kind=digest").get_data(as_text=True)
    assert f"/admin/editions/{digest_id}" in digests
    assert admin.get(f"/admin/editions/{digest_id}").status_code == 200
    assert update.id in [u.id for u in unsent_published_updates(db)]
