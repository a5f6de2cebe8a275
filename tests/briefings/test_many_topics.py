"""The delivery mask has 63 bits: a briefing's items (a block per topic plus its "N
earlier" lines) are laid out within them, and topics past that go to a second briefing
edition; a topic's block and its lines never part."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from newsletter.delivery.briefings import MAX_BITS, Piece, plan_items
from tests.factories import make_topic
from tests.support.briefings import Clock, editions_of_kind, publish, reader

MORNING = datetime(2026, 5, 4, 7, tzinfo=UTC)


def test_items_fill_63_bits_and_a_topic_with_its_lines_stays_in_one_edition():
    plans = plan_items([(1, {0, 1, 2}), *((t, {0}) for t in range(2, 62)), (62, {0, 4})])

    assert [len(p.pieces) for p in plans] == [MAX_BITS, 2]
    assert plans[0].pieces[:3] == [Piece(1), Piece(1, 1), Piece(1, 2)]
    assert plans[1].pieces == [Piece(62), Piece(62, 4)]
    assert all(len(p.pieces) <= MAX_BITS for p in plans)


def test_a_reader_of_seventy_topics_gets_them_all_over_two_briefing_editions(db, runtime, smtp):
    topics = [make_topic(db, f"topic-{n:02d}") for n in range(70)]
    for topic in topics:
        publish(db, topic, f"News on {topic.slug}", MORNING - timedelta(hours=2))
    reader(db, "ann@example.com", topics, since=MORNING - timedelta(days=1))
    db.commit()

    Clock(runtime, smtp).tick(MORNING)

    assert len(editions_of_kind(runtime, "digest")) == 2
    headlines = [h for m in smtp.inbox("ann@example.com") for h in re.findall(
        r"<h2[^>]*>(.*?)</h2>", m.get_body(("html",)).get_content())]
    assert sorted(headlines) == sorted(f"News on {t.slug}" for t in topics)
