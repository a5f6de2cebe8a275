"""The dashboard shows subscriber numbers, the last and next editions, feeds in error,
and the next steps while the install is empty."""

from __future__ import annotations

import re
from datetime import timedelta

from newsletter.editorial.editions import create_edition
from newsletter.models import Feed, utcnow
from tests.factories import make_subscriber, make_topic, make_update


def _stat(html: str, label: str) -> int:
    match = re.search(r'<span class="glance-value">([\d,]+)</span><span class="glance-label">'
                      + re.escape(label), html)
    assert match, label
    return int(match.group(1).replace(",", ""))


def test_the_dashboard_counts_subscribers_by_status(as_editor, db):
    topic = make_topic(db, "world")
    for status, n in (("active", 3), ("pending", 2), ("paused", 1), ("bounced", 4)):
        for _ in range(n):
            make_subscriber(db, topics=[topic], status=status)
    db.commit()
    html = as_editor.get("/admin/").get_data(as_text=True)
    assert _stat(html, "active readers") == 3
    assert _stat(html, "waiting to confirm") == 2
    assert _stat(html, "paused") == 1
    assert _stat(html, "bounced") == 4


def test_the_dashboard_names_the_last_and_next_editions(as_editor, db):
    topic = make_topic(db, "world")
    sent = create_edition(db, "Monday briefing", [make_update(db, topic).id], utcnow())
    sent.status, sent.finished_at = "sent", utcnow()
    create_edition(db, "Friday briefing", [make_update(db, topic).id],
                   utcnow() + timedelta(days=3))
    db.commit()
    html = as_editor.get("/admin/").get_data(as_text=True)
    glance = html[html.index("Last and next edition"):]
    assert glance.index("Monday briefing") < glance.index("Friday briefing")


def test_the_dashboard_counts_feeds_in_error(as_editor, db):
    topic = make_topic(db, "world")
    db.add_all([Feed(topic_id=topic.id, url="https://a.example/feed", status="error"),
                Feed(topic_id=topic.id, url="https://b.example/feed", status="ok")])
    db.commit()
    html = as_editor.get("/admin/").get_data(as_text=True)
    assert _stat(html, "feeds in error") == 1
    assert "feeds in error of 2" in html


def test_an_empty_install_shows_the_next_steps(as_editor):
    html = as_editor.get("/admin/").get_data(as_text=True)
    assert "Getting started" in html
    for step in ("Add a topic", "Add feeds", "Write and publish an update", "Schedule an edition"):
        assert step in html


def test_the_next_steps_go_once_everything_is_set_up(as_editor, db):
    topic = make_topic(db, "world")
    db.add(Feed(topic_id=topic.id, url="https://a.example/feed", status="ok"))
    update = make_update(db, topic)
    make_subscriber(db, topics=[topic])
    create_edition(db, "Soon", [update.id], utcnow() + timedelta(hours=1))
    db.commit()
    assert "Getting started" not in as_editor.get("/admin/").get_data(as_text=True)
