"""The reason tables: status code and diagnostic text → sisimai's reason names."""

from __future__ import annotations

import pytest

from newsletter.bounces.reasons import _COMPILED, REASONS, decide, pseudo_status

CASES = [
    ("5.1.1", "550 5.1.1 <a@x.example>: Recipient address rejected: User unknown", "userunknown"),
    ("5.0.0", "The email account that you tried to reach does not exist.", "userunknown"),
    ("5.4.1", "550 5.4.1 Recipient address rejected: Access denied", "userunknown"),
    ("5.0.0", "Unrouteable address", "hostunknown"),
    ("5.4.4", "Host or domain name not found. Name service error", "hostunknown"),
    ("5.1.6", "Recipient has moved", "hasmoved"),
    ("5.1.10", "Recipient address has null MX", "notaccept"),
    ("4.2.2", "452 4.2.2 The email account that you tried to reach is over quota.", "mailboxfull"),
    ("5.2.1", "554 delivery error: This mailbox is disabled (554.30)", "suspend"),
    ("5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
     "blocked"),
    ("5.7.1", "550-5.7.1 Our system has detected that this message is likely unsolicited mail.",
     "spamdetected"),
    ("5.7.1", "550 5.7.1 Message rejected: infected with a virus", "virusdetected"),
    ("5.7.26", "550 5.7.26 Unauthenticated email from example.com is not accepted due to DMARC",
     "authfailure"),
    ("5.7.25", "550 5.7.25 The IP address sending this message does not have a PTR record",
     "requireptr"),
    ("5.7.1", "554 5.7.1 <a@x.example>: Relay access denied", "norelaying"),
    ("4.7.0", "421 4.7.0 Try again later, closing connection. (unusual rate of unsolicited mail)",
     "ratelimited"),
    ("4.7.1", "450 4.7.1 Recipient address rejected: Greylisted, try again later", "ratelimited"),
    ("5.3.4", "552 5.3.4 Message size exceeds fixed limit", "emailtoolarge"),
    ("5.2.3", "552 5.2.3 Message length exceeds administrative limit", "exceedlimit"),
    ("4.4.7", "Delivery time expired", "expired"),
    ("5.0.0", "Domain of sender address bob@x.example does not exist", "rejected"),
    ("5.1.8", "553 5.1.8 Sender address rejected: Domain not found", "rejected"),
    ("4.4.1", "connect to mx.example.net[192.0.2.1]:25: Connection refused", "networkerror"),
    ("5.3.0", "mail for a@x.example loops back to myself", "networkerror"),
    ("5.5.2", "500 5.5.2 Syntax error, command unrecognized", "syntaxerror"),
    ("5.3.0", "Command died with status 1: procmail", "mailererror"),
    ("5.0.0", "", "undefined"),
]


@pytest.mark.parametrize(("status", "text", "reason"), CASES, ids=[c[2] + ":" + c[1][:30] for c in CASES])
def test_status_and_text_give_the_reason(status, text, reason):
    assert decide(status, text) == reason


def test_every_table_reason_is_in_the_vocabulary():
    assert {reason for reason, _ in _COMPILED} <= set(REASONS)


def test_a_reason_found_only_in_text_gets_a_status_of_the_right_class():
    assert pseudo_status("userunknown", "5") == "5.1.1"
    assert pseudo_status("mailboxfull", "4") == "4.2.2"
    assert pseudo_status("expired", None) == "4.4.7"
