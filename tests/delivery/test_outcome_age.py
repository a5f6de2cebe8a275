"""Outcomes reach the ledger within `flush_seconds` of the server's reply, not only every
`flush_every` copies: a slow relay or an SMTP_RATE wait cannot leave sent copies unrecorded
(and so re-sent by a crash) for long.

The batch's timer is moved by the transport (each send "takes" a chosen time), so the flush
points are exact; the copies go to the real SMTP sink and the ledger is real."""

from __future__ import annotations

from newsletter.delivery.sender import Identity, send_batch
from newsletter.mail.postman import Postman
from newsletter.mail.rate import RateLimiter
from newsletter.mail.transport import SMTPTransport
from newsletter.subscribers.links import Links
from tests.support.delivery import statuses


class Timed(SMTPTransport):
    """Real SMTP; each send moves the batch's timer on by `step` seconds and notes, before
    sending, how many copies the ledger already calls sent."""

    def __init__(self, url: str, runtime, edition_id: int, step: float) -> None:  # noqa: ANN001
        super().__init__(url, timeout=10)
        self.runtime, self.edition_id, self.step = runtime, edition_id, step
        self.now = 0.0
        self.seen: list[tuple[float, int]] = []  # (timer at the start of a send, sent in ledger)
        self.replies: list[float] = []  # timer when each copy's reply came back

    def timer(self) -> float:
        return self.now

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        self.seen.append((self.now, statuses(self.runtime, self.edition_id).get("sent", 0)))
        super().send(sender, recipient, data)
        self.now += self.step
        self.replies.append(self.now)


def unrecorded_longest(transport: Timed) -> float:
    """The longest any accepted copy waited, as seen at a later send, to be in the ledger."""
    worst = 0.0
    for now, recorded in transport.seen:
        waiting = [r for r in transport.replies[recorded:] if r <= now]
        if waiting:
            worst = max(worst, now - waiting[0])
    return worst


def test_fast_copies_are_written_before_the_oldest_is_flush_seconds_old(
        runtime, smtp, sender, edition_factory):
    edition_id, emails = edition_factory(30)
    sender.configure(batch_size=30, flush_every=100, flush_seconds=0.1)
    transport = Timed(smtp.url, runtime, edition_id, step=0.03)
    sender.timer = transport.timer

    result = sender.batch(edition_id, transport)

    assert result.sent == 30
    assert len(smtp.messages) == 30
    # 30 ms a copy: the 4th reply would make the 1st wait 120 ms, so every 4th copy flushes
    assert [n for _, n in transport.seen][:9] == [0, 0, 0, 0, 4, 4, 4, 4, 8]
    assert unrecorded_longest(transport) <= 0.1
    assert statuses(runtime, edition_id) == {"sent": 30}


def test_behind_a_slow_relay_every_copy_is_written_before_the_next_is_sent(
        runtime, smtp, sender, edition_factory):
    edition_id, _ = edition_factory(6)
    sender.configure(batch_size=6, flush_every=100, flush_seconds=0.1)
    transport = Timed(smtp.url, runtime, edition_id, step=0.25)  # or a 4/s SMTP_RATE
    sender.timer = transport.timer

    assert sender.batch(edition_id, transport).sent == 6

    assert [n for _, n in transport.seen] == [0, 1, 2, 3, 4, 5]
    assert statuses(runtime, edition_id) == {"sent": 6}


def test_without_a_timer_move_the_count_alone_sets_the_flush_points(
        runtime, smtp, sender, edition_factory):
    edition_id, _ = edition_factory(12)
    sender.configure(batch_size=12, flush_every=5, flush_seconds=0.1)
    transport = Timed(smtp.url, runtime, edition_id, step=0.0)
    sender.timer = transport.timer

    assert sender.batch(edition_id, transport).sent == 12

    assert [n for _, n in transport.seen] == [0] * 5 + [5] * 5 + [10] * 2


def test_outcomes_are_written_before_an_smtp_rate_wait(runtime, smtp, sender, edition_factory):
    edition_id, _ = edition_factory(7)
    sender.configure(batch_size=7, flush_every=100, flush_seconds=3600.0)
    clock = [1000.0]
    seen_at_sleep: list[tuple[int, int]] = []  # (copies the sink has, copies the ledger has)

    def sleep(seconds: float) -> None:
        seen_at_sleep.append((len(smtp.messages),
                              statuses(runtime, edition_id).get("sent", 0)))
        clock[0] += seconds

    limiter = RateLimiter(runtime.redis, 3, key="test:outcome-age-rate",
                          clock=lambda: clock[0], sleep=sleep)
    postman = Postman(SMTPTransport(smtp.url, timeout=10), envelope_from="news@example.com",
                      limiter=limiter)

    result = send_batch(runtime.Session, runtime.redis, edition_id, postman,
                        Identity.from_settings(runtime.settings),
                        Links.from_settings(runtime.settings), sender.settings)

    assert result.sent == 7 and len(smtp.messages) == 7
    # 3 a second: two waits, and before each the ledger knew every copy the sink had
    assert seen_at_sleep == [(3, 3), (6, 6)]
    assert statuses(runtime, edition_id) == {"sent": 7}
