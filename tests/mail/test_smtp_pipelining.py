"""With a server that offers PIPELINING, MAIL/RCPT/DATA go out in one write; replies are
still read and acted on one by one, and the connection stays usable after a refusal."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from newsletter.mail.transport import PermanentFailure, SMTPTransport, TemporaryFailure
from tests.support.smtp import SinkHandler, free_port


class PipeliningHandler(SinkHandler):
    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ANN001, ANN201, N802
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


@pytest.fixture
def server():
    handler = PipeliningHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


def message(n: int) -> bytes:
    # a line that starts with a dot must survive (dot-stuffing still happens when needed)
    return f"Subject: {n}\r\n\r\nbody {n}\r\n.leading dot\r\n".encode()


def test_messages_and_refusals_over_one_pipelined_connection(server):
    handler: PipeliningHandler = server.handler
    handler.failures.update({"b@example.com": "550 5.1.1 no such user",
                             "c@example.com": "451 4.3.0 later"})
    outcomes = {}
    with SMTPTransport(f"smtp://127.0.0.1:{server.port}", timeout=10) as transport:
        for n, rcpt in enumerate(["a@example.com", "b@example.com", "c@example.com",
                                  "d@example.com"]):
            try:
                transport.send("bounces@example.com", rcpt, message(n))
                outcomes[rcpt] = "sent"
            except (PermanentFailure, TemporaryFailure) as exc:
                outcomes[rcpt] = type(exc).__name__ + (" bounced" if getattr(exc, "bounced", 0)
                                                       else "")
        assert transport._conn is not None and transport._conn.has_extn("pipelining")

    assert outcomes == {"a@example.com": "sent", "b@example.com": "PermanentFailure bounced",
                        "c@example.com": "TemporaryFailure", "d@example.com": "sent"}
    received = {m.rcpt_tos[0]: m.message for m in handler.messages}
    assert set(received) == {"a@example.com", "d@example.com"}
    assert received["d@example.com"].get_content() == "body 3\r\n.leading dot\r\n"
