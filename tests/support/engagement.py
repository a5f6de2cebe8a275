"""Engagement test helpers: an edition sent to a few readers, and the tracked links they got."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy.orm import Session

from newsletter.delivery.jobs import start_edition_job
from newsletter.runtime import Runtime
from tests.factories import make_subscriber, make_topic
from tests.support.delivery import scheduled_edition
from tests.support.smtp import SmtpSink

BROWSER = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
           "(KHTML, like Gecko) Version/17.5 Safari/605.1.15")
TRACKED = re.compile(r"https://news\.example\.test(/r/[A-Za-z0-9._\-]+)")


def send_edition(runtime: Runtime, db: Session, work: Callable[[], None],
                 readers: tuple[str, ...] = ("ana@example.com", "ben@example.com"),
                 slugs: tuple[str, ...] = ("world",)) -> int:
    """An edition of these topics, sent through the worker to readers of all of them."""
    topics = [make_topic(db, slug) for slug in slugs]
    for email in readers:
        make_subscriber(db, email, topics=topics)
    db.commit()
    edition_id = scheduled_edition(db, topics)
    runtime.queue.enqueue(start_edition_job, edition_id)
    work()
    return edition_id


def tracked_links(smtp: SmtpSink, address: str) -> tuple[list[str], list[str]]:
    """The /r/ paths of the reader's copy, in the HTML part and in the text part."""
    message = smtp.inbox(address)[0]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    return TRACKED.findall(html), TRACKED.findall(text)
