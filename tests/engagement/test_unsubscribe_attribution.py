"""An unsubscribe through an edition's own link or one-click header counts for that edition
exactly; leaving another way is only estimated (within 7 days of a copy). Links sent before
the edition was named in them keep working."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from newsletter.delivery.jobs import start_edition_job
from newsletter.engagement.stats import edition_stats
from newsletter.models import Delivery, Subscriber, Topic, utcnow
from newsletter.subscribers import service
from tests.support.admin import csrf_token
from tests.support.delivery import scheduled_edition
from tests.support.engagement import send_edition

READERS = ("ana@example.com", "ben@example.com", "cal@example.com", "dan@example.com")


def _header_path(smtp, address: str) -> str:
    url = urlsplit(smtp.inbox(address)[-1]["List-Unsubscribe"].strip("<>"))
    return f"{url.path}?{url.query}" if url.query else url.path


def _body_path(smtp, address: str) -> str:
    html = smtp.inbox(address)[-1].get_body(("html",)).get_content()
    url = re.search(r'href="(https://news\.example\.test/unsubscribe/[^"]+)"', html).group(1)
    split = urlsplit(url.replace("&amp;", "&"))
    return f"{split.path}?{split.query}"


def _id(db, address: str) -> int:
    return db.scalar(select(Subscriber.id).where(Subscriber.email == address))


def test_leaving_through_the_edition_counts_exactly_the_rest_by_window(runtime, db, work, smtp,
                                                                      client):
    edition_id = send_edition(runtime, db, work, readers=READERS)
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    db.commit()
    header = _header_path(smtp, "ana@example.com")
    assert header.endswith(f"?e={edition_id}")
    # ana: the one-click header (RFC 8058 POST to the header's URL)
    response = client.post(header, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and response.get_data() == b"unsubscribed\n"
    # ben: the link in the body, its page, then the button
    body = _body_path(smtp, "ben@example.com")
    assert body.endswith(f"?e={edition_id}")
    assert client.post(body, data={"csrf_token": csrf_token(client, body)}).status_code == 200
    # cal: the same link as sent before editions were named in it (no ?e=): still works
    old = _body_path(smtp, "cal@example.com").split("?")[0]
    assert client.post(old, data={"csrf_token": csrf_token(client, old)}).status_code == 200
    # dan: names an edition he never got (forged): he leaves, the edition is not credited
    forged = _header_path(smtp, "dan@example.com").replace(f"?e={edition_id}", "?e=999")
    assert client.post(forged, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    db.expire_all()
    assert [db.get(Subscriber, _id(db, a)).unsubscribed_edition_id for a in READERS] == [
        edition_id, edition_id, None, None]
    stats = edition_stats(db, edition_id)
    assert (stats["unsubscribes"], stats["unsubscribes_via_edition"],
            stats["unsubscribes_estimated"]) == (4, 2, 2)


def test_a_reader_who_left_through_the_next_edition_counts_for_that_one(runtime, db, work, smtp,
                                                                       client):
    first = send_edition(runtime, db, work, readers=("ana@example.com",))
    second = scheduled_edition(db, list(db.scalars(select(Topic))), subject="Tomorrow")
    runtime.queue.enqueue(start_edition_job, second)
    work()
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    db.commit()
    assert _header_path(smtp, "ana@example.com").endswith(f"?e={second}")
    client.post(_header_path(smtp, "ana@example.com"), data={"List-Unsubscribe": "One-Click"})
    db.expire_all()
    assert [(s["unsubscribes_via_edition"], s["unsubscribes_estimated"])
            for s in (edition_stats(db, first), edition_stats(db, second))] == [(0, 0), (1, 0)]


def test_an_unreadable_edition_number_never_stops_anyone_leaving(runtime, db, work, smtp, client):
    send_edition(runtime, db, work, readers=("ana@example.com",))
    path = _header_path(smtp, "ana@example.com").split("?")[0]
    for query in ("?e=abc", "?e=", "?e=99999999999999999999", "?e=-1"):
        response = client.post(path + query, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
    db.expire_all()
    reader = db.get(Subscriber, _id(db, "ana@example.com"))
    assert reader.status == "unsubscribed" and reader.unsubscribed_edition_id is None
    service.resubscribe(db, reader.id)
    assert reader.unsubscribed_edition_id is None
