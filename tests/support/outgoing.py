"""One way to make the service send each kind of mail it sends, through its real code path.

Each maker sets up what it needs in the database and calls the job or service function
the worker or the admin view would call; the mail lands in the test's SMTP sink.
"""

from __future__ import annotations

from collections.abc import Callable

from newsletter.delivery.jobs import send_batch_job
from newsletter.editorial.edition_preview import send_test, send_test_of_edition
from newsletter.models import Edition
from newsletter.runtime import Runtime
from newsletter.subscribers.jobs import send_import_confirmations, send_subscriber_mail
from tests.factories import make_subscriber, make_topic, make_update
from tests.support.delivery import bulk_subscribers, scheduled_edition, start


def an_edition_copy(db, runtime: Runtime) -> None:  # noqa: ANN001
    topics = [make_topic(db, "world")]
    bulk_subscribers(db, 2, topics)
    edition_id = scheduled_edition(db, topics)
    start(runtime, edition_id)
    send_batch_job(edition_id)


def a_confirmation(db, runtime: Runtime) -> None:  # noqa: ANN001
    subscriber = make_subscriber(db, "new@example.com", status="pending")
    db.commit()
    send_subscriber_mail(subscriber.id, "confirm")


def a_manage_link(db, runtime: Runtime) -> None:  # noqa: ANN001
    subscriber = make_subscriber(db, "known@example.com", topics=[make_topic(db, "world")])
    db.commit()
    send_subscriber_mail(subscriber.id, "manage")


def an_import_confirmation(db, runtime: Runtime) -> None:  # noqa: ANN001
    people = [make_subscriber(db, f"imported{i}@example.com", status="pending") for i in range(2)]
    db.commit()
    assert send_import_confirmations([p.id for p in people]) == 2


def a_test_send(db, runtime: Runtime) -> None:  # noqa: ANN001
    update = make_update(db, make_topic(db, "world"))
    db.commit()
    send_test(runtime.settings, runtime.postman(), "Draft", [update], "desk@example.org")


def a_test_of_an_edition(db, runtime: Runtime) -> None:  # noqa: ANN001
    topics = [make_topic(db, "world")]
    edition_id = scheduled_edition(db, topics)
    send_test_of_edition(runtime.settings, runtime.postman(), db.get(Edition, edition_id),
                         "desk@example.org")


KINDS: dict[str, Callable[..., None]] = {
    "edition copy": an_edition_copy,
    "confirmation": a_confirmation,
    "manage link": a_manage_link,
    "import confirmation": an_import_confirmation,
    "test send": a_test_send,
    "test of an edition": a_test_of_an_edition,
}
