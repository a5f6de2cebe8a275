"""The sign-up page shows every topic with its description and latest headline."""

from __future__ import annotations

import re

from tests.factories import make_topic, make_update


def checked(html: str) -> set[str]:
    return set(re.findall(r'value="([^"]+)"\s+checked', html))


def test_every_live_topic_is_a_checkbox_with_its_latest_headline(client, db) -> None:
    world = make_topic(db, "world", name="World", description="Wars and treaties.")
    make_topic(db, "climate", name="Climate", description="Energy and weather.")
    make_update(db, world, "Older headline")
    make_update(db, world, "Ceasefire talks resume")
    archived = make_topic(db, "gone", name="Gone topic")
    archived.archived_at = archived.created_at
    db.commit()
    html = client.get("/subscribe").get_data(as_text=True)
    assert sorted(re.findall(r'name="topics" value="([^"]+)"', html)) == ["climate", "world"]
    assert "Wars and treaties." in html and "Energy and weather." in html
    assert "Ceasefire talks resume" in html and "Older headline" not in html
    assert "Gone topic" not in html
    assert checked(html) == set()
    assert 'name="csrf_token"' in html and 'name="website"' in html


def test_a_topic_link_pre_checks_that_topic(client, db) -> None:
    make_topic(db, "world")
    make_topic(db, "climate")
    db.commit()
    assert checked(client.get("/subscribe?topic=climate").get_data(as_text=True)) == {"climate"}
    assert checked(client.get("/subscribe?topic=nope").get_data(as_text=True)) == set()
    assert client.get("/subscribe?topic=%00" + "x" * 3000).status_code == 200
