"""The cron tick gives rows claimed by a dead worker back once they are stale, and makes
sure a batch job is queued for them; fresh claims of a live worker are left alone."""

from __future__ import annotations

from datetime import timedelta

from newsletter.delivery import ledger
from newsletter.jobs import tick
from newsletter.models import utcnow
from newsletter.subscribers import service as subscribers
from tests.support.delivery import statuses


def test_the_tick_recovers_stale_claims_and_requeues_them(runtime, smtp, work, edition_factory):
    edition_id, emails = edition_factory(8)
    stale = runtime.settings.stale_claim_seconds
    with runtime.session() as s:  # a worker claimed 5 rows long ago, then died
        dead = ledger.claim(s, edition_id, 5, utcnow() - timedelta(seconds=stale + 60))
        dead_emails = [r.email for r in subscribers.addresses(
            s, [c.subscriber_id for c in dead]).values()]
    with runtime.session() as s:  # another claimed 3 just now and is still working
        ledger.claim(s, edition_id, 3, utcnow())

    assert tick()["recovered"] == 5
    assert statuses(runtime, edition_id) == {"pending": 5, "sending": 3}
    assert runtime.queue.count >= 1

    work()

    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(dead_emails)
    assert set(dead_emails) < set(emails)
    assert statuses(runtime, edition_id) == {"sent": 5, "sending": 3}
