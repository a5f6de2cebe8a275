"""Edition services behind the form and the edition page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from newsletter.delivery import lifecycle
from newsletter.editorial.editions import (
    check_timezone,
    create_edition,
    recipients_by_topic,
    unsent_published_updates,
)
from newsletter.errors import ValidationError
from newsletter.models import utcnow
from tests.factories import make_subscriber, make_topic, make_update


def test_updates_in_a_pending_edition_are_not_offered_again_until_it_is_cancelled(db):
    topic = make_topic(db, "world")
    first, second = make_update(db, topic, "First"), make_update(db, topic, "Second")
    edition = create_edition(db, "Today", [first.id], utcnow() + timedelta(hours=1))
    db.commit()
    assert unsent_published_updates(db) == [second]
    lifecycle.cancel(db, edition.id)
    db.commit()
    assert unsent_published_updates(db) == [first, second]


def test_drafts_are_never_offered(db):
    topic = make_topic(db, "world")
    make_update(db, topic, "Draft", status="draft")
    assert unsent_published_updates(db) == []


def test_reach_per_topic_is_an_estimate_before_sending_and_the_ledger_after(db, settings):
    world, climate = make_topic(db, "world"), make_topic(db, "climate")
    ann = make_subscriber(db, "ann@example.com", [world, climate])
    make_subscriber(db, "bob@example.com", [climate])
    make_subscriber(db, "cat@example.com", [climate], status="pending")
    edition = create_edition(db, "Today", [make_update(db, world).id, make_update(db, climate).id],
                             utcnow())
    db.commit()
    assert [(r.slug, r.recipients) for r in recipients_by_topic(db, edition)] == [
        ("world", 1), ("climate", 2)]

    lifecycle.start(db, edition.id, list_name="B", base_url="https://x.example")
    db.commit()
    ann.status = "unsubscribed"  # later changes do not rewrite who this edition went to
    db.commit()
    db.refresh(edition)
    assert [(r.slug, r.recipients) for r in recipients_by_topic(db, edition)] == [
        ("world", 1), ("climate", 2)]


@pytest.mark.parametrize("zone", ["", "Mars/Olympus", "../../etc/passwd", None, 5])
def test_unknown_time_zones_are_refused(zone):
    with pytest.raises(ValidationError):
        check_timezone(zone)


def test_an_edition_keeps_the_time_zone_it_was_planned_in(db):
    topic = make_topic(db, "world")
    edition = create_edition(db, "Today", [make_update(db, topic).id], utcnow(),
                             timezone="America/New_York")
    assert edition.timezone == "America/New_York"
    with pytest.raises(ValidationError):
        create_edition(db, "Today", [make_update(db, topic).id], utcnow(), timezone="Nowhere/City")
