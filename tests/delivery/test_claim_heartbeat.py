"""A slow batch (a low SMTP_RATE) keeps its claims fresh, so the tick never mistakes it for
a dead worker's and sends its rows a second time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from newsletter.delivery import ledger
from newsletter.mail.transport import SMTPTransport
from newsletter.models import Delivery, utcnow


class SlowClock(SMTPTransport):
    """Real SMTP; each message moves the sender's clock on by `step` and looks at the ledger."""

    def __init__(self, url: str, sender, runtime, edition_id: int, step: timedelta) -> None:  # noqa: ANN001
        super().__init__(url, timeout=10)
        self.sender, self.runtime, self.edition_id, self.step = sender, runtime, edition_id, step
        self.recovered: list[int] = []

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        super().send(sender, recipient, data)
        self.sender.now += self.step
        with self.runtime.session() as s:  # what the tick would do at this moment
            self.recovered.append(ledger.recover_stale(
                s, self.sender.now, timedelta(seconds=self.sender.settings.stale_claim_seconds)))


def test_a_slow_batch_refreshes_its_claims_before_they_go_stale(runtime, smtp, sender,
                                                                 edition_factory):
    edition_id, emails = edition_factory(12)
    sender.configure(batch_size=12, flush_every=100, stale_claim_seconds=8)
    sender.now = utcnow()
    transport = SlowClock(smtp.url, sender, runtime, edition_id, timedelta(seconds=1.5))

    result = sender.batch(edition_id, transport)

    assert result.sent == 12  # 18 s of sending against an 8 s stale window
    assert sum(transport.recovered) == 0
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(emails)
    with runtime.Session() as s:
        assert set(s.scalars(select(Delivery.status))) == {"sent"}
