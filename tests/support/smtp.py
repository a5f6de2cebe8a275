"""A real SMTP server in the test process (aiosmtpd) that keeps what it receives.

`failures` scripts replies per recipient: an SMTP reply string such as
"451 4.3.0 try later" or "550 5.1.1 no such user", "drop" to cut the connection at its RCPT,
or "drop after data" to cut it once the message content has arrived, before the final reply
(the message is not kept: the client cannot know whether it arrived). With `pipelining` the
server offers PIPELINING (RFC 2920), as production relays do; `connections` counts EHLOs.
"""

from __future__ import annotations

import email
import socket
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SinkHandler:
    messages: list[Received] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    pipelining: bool = False
    connections: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        self.connections += 1
        if self.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        reply = self.failures.get(address.lower())
        if reply == "drop after data":
            envelope.rcpt_tos.append(address)
            return "250 OK"
        if reply == "drop":
            server.transport.close()
            return "421 4.4.2 closing connection"
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if any(self.failures.get(r.lower()) == "drop after data" for r in envelope.rcpt_tos):
            server.transport.close()
            return "421 4.4.2 closing connection"
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          bytes(envelope.original_content or envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    def __init__(self, pipelining: bool = False) -> None:
        self.handler = SinkHandler(pipelining=pipelining)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     decode_data=False, data_size_limit=10 * 1024 * 1024)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def inbox(self, address: str) -> list[EmailMessage]:
        return [m.message for m in self.messages if address.lower() in
                (r.lower() for r in m.rcpt_tos)]

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()
        self.handler.failures.clear()
