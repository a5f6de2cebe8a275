"""Pause, resume and cancel are honoured between batches and at flush points inside a batch;
a change the current status does not allow is refused with 409."""

from __future__ import annotations

import pytest

from newsletter.delivery import lifecycle
from newsletter.mail.transport import SMTPTransport
from newsletter.models import Edition
from tests.factories import make_token
from tests.support.delivery import Sender, statuses
from tests.support.smtp import SmtpSink


@pytest.fixture
def auth(db) -> dict[str, str]:
    token = make_token(db)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


class ActsAfter(SMTPTransport):
    """A real SMTP transport that lets an editor act (pause/cancel) after the n-th message."""

    def __init__(self, url: str, after: int, act) -> None:  # noqa: ANN001
        super().__init__(url, timeout=10)
        self.after, self.act, self.count = after, act, 0

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        super().send(sender, recipient, data)
        self.count += 1
        if self.count == self.after:
            self.act()


def test_a_paused_edition_sends_nothing_until_resumed(client, auth, runtime, smtp, sender,
                                                      edition_factory):
    edition_id, emails = edition_factory(12)
    sender.configure(batch_size=5)
    assert sender.batch(edition_id).sent == 5

    response = client.post(f"/api/v1/editions/{edition_id}/pause", headers=auth)
    assert response.status_code == 200 and response.json["status"] == "paused"
    result = sender.batch(edition_id)
    assert result.claimed == 0 and len(smtp.messages) == 5

    response = client.post(f"/api/v1/editions/{edition_id}/resume", headers=auth)
    assert response.status_code == 200 and response.json["status"] == "sending"
    sender.drain(edition_id)

    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(emails)
    assert client.get(f"/api/v1/editions/{edition_id}", headers=auth).json["status"] == "sent"


def test_a_pause_during_a_batch_stops_it_at_the_next_flush(runtime, smtp, sender, edition_factory):
    edition_id, emails = edition_factory(20)
    sender.configure(batch_size=20, flush_every=4)

    def pause() -> None:
        with runtime.session() as s:
            lifecycle.pause(s, edition_id, reason="editor")

    result = sender.batch(edition_id, ActsAfter(smtp.url, 2, pause))

    assert result.sent == 4 and result.stopped
    assert len(smtp.messages) == 4
    assert statuses(runtime, edition_id) == {"sent": 4, "pending": 16}
    with runtime.session() as s:
        lifecycle.resume(s, edition_id)
    sender.drain(edition_id)
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(emails)


def test_a_cancel_during_a_batch_cancels_the_rest(client, auth, runtime, smtp, sender,
                                                  edition_factory):
    edition_id, _ = edition_factory(20)
    sender.configure(batch_size=20, flush_every=4)

    def cancel() -> None:
        assert client.post(f"/api/v1/editions/{edition_id}/cancel", headers=auth).status_code == 200

    result = sender.batch(edition_id, ActsAfter(smtp.url, 6, cancel))

    assert result.sent == 8 and result.stopped
    assert statuses(runtime, edition_id) == {"sent": 8, "cancelled": 12}
    assert sender.batch(edition_id).claimed == 0
    status = client.get(f"/api/v1/editions/{edition_id}", headers=auth).json
    assert status == {**status, "status": "cancelled", "sent": 8, "pending": 0}


class ActsAfterSubmit(SMTPTransport):
    """The same over a pipelining server: the editor acts after the n-th submit, when
    earlier copies are still on the wire."""

    def __init__(self, url: str, after: int, act) -> None:  # noqa: ANN001
        super().__init__(url, timeout=10)
        self.after, self.act, self.count = after, act, 0

    def submit(self, sender: str, recipient: str, data: bytes, tag: object = None,  # noqa: ANN201
               **options: bool):
        outcomes = super().submit(sender, recipient, data, tag, **options)
        assert self._conn is not None and self._conn.has_extn("pipelining")
        self.count += 1
        if self.count == self.after:
            self.act()
        return outcomes


def test_a_cancel_during_a_pipelined_batch_settles_the_copies_on_the_wire(
        client, auth, runtime, edition_factory):
    edition_id, _ = edition_factory(20)
    pipelining = SmtpSink(pipelining=True).start()
    sender = Sender(runtime, pipelining.url).configure(batch_size=20, flush_every=4)

    def cancel() -> None:
        assert client.post(f"/api/v1/editions/{edition_id}/cancel", headers=auth).status_code == 200

    try:
        result = sender.batch(edition_id, ActsAfterSubmit(pipelining.url, 2, cancel))
    finally:
        pipelining.stop()

    # the 4th outcome is read at the 6th submit; that flush sees the cancel, and copies 5
    # and 6 (content and envelope already out) are answered and recorded, not left claimed
    assert result.stopped and result.sent == 6
    assert len(pipelining.messages) == 6
    assert statuses(runtime, edition_id) == {"sent": 6, "cancelled": 14}


@pytest.mark.parametrize(("state", "action"), [
    ("sending", "resume"),
    ("sent", "pause"),
    ("sent", "cancel"),
    ("sent", "resume"),
    ("cancelled", "resume"),
    ("cancelled", "pause"),
    ("cancelled", "cancel"),
    ("paused", "pause"),
])
def test_an_invalid_transition_is_refused_with_409(client, auth, runtime, edition_factory, state,
                                                   action):
    edition_id, _ = edition_factory(1)
    with runtime.session() as s:
        s.get(Edition, edition_id).status = state

    response = client.post(f"/api/v1/editions/{edition_id}/{action}", headers=auth)

    assert response.status_code == 409
    assert response.json["error"]
    with runtime.Session() as s:
        assert s.get(Edition, edition_id).status == state


def test_an_unknown_edition_gives_404(client, auth):
    response = client.post("/api/v1/editions/999999/pause", headers=auth)
    assert response.status_code == 404 and response.json["error"]
