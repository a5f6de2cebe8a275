"""With a server that offers PIPELINING, MAIL/RCPT/DATA go out in one write, and `submit`
sends each message's content in the same write as the next message's envelope (one round
trip per message). Replies are still attributed one by one to their own message, whatever
the server answers in the middle of a group, and the connection stays usable after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from newsletter.mail.transport import (
    DeliveryError,
    PermanentFailure,
    SMTPTransport,
    TemporaryFailure,
)
from tests.support.smtp import SmtpSink

READERS = [f"{name}@example.com" for name in ("a", "b", "c", "d", "e")]


@pytest.fixture
def server() -> Iterator[SmtpSink]:
    sink = SmtpSink(pipelining=True).start()
    yield sink
    sink.stop()


def message(n: int) -> bytes:
    # a line that starts with a dot must survive (dot-stuffing still happens when needed)
    return f"Subject: {n}\r\n\r\nbody {n}\r\n.leading dot\r\n".encode()


def kind(error: DeliveryError | None) -> str:
    if error is None:
        return "sent"
    return type(error).__name__ + (" bounced" if getattr(error, "bounced", False) else "")


def submit_all(server: SmtpSink, readers: list[str]) -> tuple[dict[str, DeliveryError | None],
                                                               list[int]]:
    """Each reader's outcome by the tag it was submitted with, and how many outcomes each
    submit returned (a pipelined submit returns before its own message is answered)."""
    outcomes: dict[str, DeliveryError | None] = {}
    returned = []
    with SMTPTransport(server.url, timeout=10) as transport:
        for n, rcpt in enumerate(readers):
            came = transport.submit("bounces@example.com", rcpt, message(n), tag=rcpt)
            returned.append(len(came))
            outcomes.update(came)
        outcomes.update(transport.drain())
        assert transport._conn is not None and transport._conn.has_extn("pipelining")
    return outcomes, returned


def copies_by_reader(server: SmtpSink) -> dict[str, int]:
    got: dict[str, int] = {}
    for m in server.messages:
        for rcpt in m.rcpt_tos:
            got[rcpt] = got.get(rcpt, 0) + 1
    return got


def test_send_still_answers_each_message_over_one_pipelined_connection(server):
    server.handler.failures.update({"b@example.com": "550 5.1.1 no such user",
                                    "c@example.com": "451 4.3.0 later"})
    outcomes = {}
    with SMTPTransport(server.url, timeout=10) as transport:
        for n, rcpt in enumerate(READERS[:4]):
            try:
                transport.send("bounces@example.com", rcpt, message(n))
                outcomes[rcpt] = "sent"
            except (PermanentFailure, TemporaryFailure) as exc:
                outcomes[rcpt] = kind(exc)

    assert outcomes == {"a@example.com": "sent", "b@example.com": "PermanentFailure bounced",
                        "c@example.com": "TemporaryFailure", "d@example.com": "sent"}
    received = {m.rcpt_tos[0]: m.message for m in server.messages}
    assert set(received) == {"a@example.com", "d@example.com"}
    assert received["d@example.com"].get_content() == "body 3\r\n.leading dot\r\n"


def test_submit_returns_before_its_message_is_answered(server):
    outcomes, returned = submit_all(server, READERS)

    assert {r: kind(e) for r, e in outcomes.items()} == dict.fromkeys(READERS, "sent")
    # a message's content goes with the next submit, its reply is read at the one after
    assert returned == [0, 0, 1, 1, 1]  # drain settles the last two
    assert copies_by_reader(server) == dict.fromkeys(READERS, 1)
    assert server.handler.connections == 1
    received = {m.rcpt_tos[0]: m.message for m in server.messages}
    assert received["e@example.com"].get_content() == "body 4\r\n.leading dot\r\n"


def test_a_refused_copy_in_the_middle_is_attributed_to_its_own_reader(server):
    server.handler.failures["c@example.com"] = "550 5.1.1 no such user"

    outcomes, _ = submit_all(server, READERS)

    assert {r: kind(e) for r, e in outcomes.items()} == {
        **dict.fromkeys(READERS, "sent"), "c@example.com": "PermanentFailure bounced"}
    assert "550 5.1.1 no such user" in str(outcomes["c@example.com"])
    assert copies_by_reader(server) == {r: 1 for r in READERS if r != "c@example.com"}
    assert server.handler.connections == 1  # RSET, not a new connection, after the refusal


def test_a_4xx_in_the_middle_is_a_temporary_failure_of_that_copy_alone(server):
    server.handler.failures["b@example.com"] = "451 4.3.0 try again later"

    outcomes, _ = submit_all(server, READERS)

    assert {r: kind(e) for r, e in outcomes.items()} == {
        **dict.fromkeys(READERS, "sent"), "b@example.com": "TemporaryFailure"}
    assert outcomes["b@example.com"].code == 451
    assert copies_by_reader(server) == {r: 1 for r in READERS if r != "b@example.com"}


def test_a_421_in_the_middle_of_a_group_reconnects_and_loses_no_neighbour(server):
    # answered at c's RCPT, after b's final reply in the same group: b was accepted, c is
    # tried once more on a new connection (421 again: a temporary failure), d and e go on
    server.handler.failures["c@example.com"] = "421 4.7.0 too busy, closing"

    outcomes, _ = submit_all(server, READERS)

    assert {r: kind(e) for r, e in outcomes.items()} == {
        **dict.fromkeys(READERS, "sent"), "c@example.com": "TemporaryFailure"}
    assert "421" in str(outcomes["c@example.com"])
    assert copies_by_reader(server) == {r: 1 for r in READERS if r != "c@example.com"}
    assert server.handler.connections == 3  # first, c's second try, then d and e


def test_a_connection_dropped_mid_group_resends_only_what_was_not_answered(server):
    server.handler.failures["c@example.com"] = "drop"

    outcomes, _ = submit_all(server, READERS)

    assert {r: kind(e) for r, e in outcomes.items()} == {
        **dict.fromkeys(READERS, "sent"), "c@example.com": "TemporaryFailure"}
    assert "connection lost" in str(outcomes["c@example.com"])
    assert copies_by_reader(server) == {r: 1 for r in READERS if r != "c@example.com"}
    assert server.handler.connections == 3


def test_content_cut_off_before_its_reply_goes_again_once_with_the_envelope_behind_it(server):
    # b's content arrives but the server drops before answering it; c's envelope was in the
    # same write. Both go again on a new connection; the first drop is not b's last try.
    calls = {"n": 0}
    handler = server.handler
    original = type(handler).handle_DATA

    async def drop_first_b(self, srv, session, envelope):  # noqa: ANN001, ANN202
        if "b@example.com" in envelope.rcpt_tos and calls["n"] == 0:
            calls["n"] += 1
            srv.transport.close()
            return "421 4.4.2 closing connection"
        return await original(self, srv, session, envelope)

    handler.handle_DATA = drop_first_b.__get__(handler)

    outcomes, _ = submit_all(server, READERS)

    assert calls["n"] == 1
    assert {r: kind(e) for r, e in outcomes.items()} == dict.fromkeys(READERS, "sent")
    assert copies_by_reader(server) == dict.fromkeys(READERS, 1)
    assert server.handler.connections == 2


def test_a_copy_dropped_after_its_content_twice_is_a_temporary_failure(server):
    server.handler.failures["b@example.com"] = "drop after data"

    outcomes, _ = submit_all(server, READERS)

    assert {r: kind(e) for r, e in outcomes.items()} == {
        **dict.fromkeys(READERS, "sent"), "b@example.com": "TemporaryFailure"}
    assert copies_by_reader(server) == {r: 1 for r in READERS if r != "b@example.com"}


def test_leaving_with_replies_owed_drops_the_connection_instead_of_quitting(server):
    transport = SMTPTransport(server.url, timeout=10)
    assert transport.submit("bounces@example.com", "a@example.com", message(0), tag=0) == []
    transport.submit("bounces@example.com", "b@example.com", message(1), tag=1)

    transport.close()  # b's envelope is out, its content is not: QUIT would be content

    assert transport._conn is None
    assert copies_by_reader(server).get("b@example.com") is None
