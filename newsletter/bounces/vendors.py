"""Recipients of non-standard bounces: the formats of particular MTAs and providers.

flufl.bounce (GNU Mailman's detectors: qmail, Exim, Postfix, Exchange, GroupWise, Yahoo, …)
does the recognising; Exim's X-Failed-Recipients header and a last look for an address next
to a failure phrase catch what it misses. Each answer is (address, temporary?).
"""

from __future__ import annotations

import logging
import re
from email.message import Message
from email.utils import getaddresses, parseaddr

from flufl.bounce import all_failures

from .message import content_type, header, human_text, text_of, walk

log = logging.getLogger(__name__)


class _QuietDetectorErrors(logging.Filter):
    """flufl.bounce logs a traceback when a detector trips over odd input and re-raises;
    we catch that and fall back to our own reading, so the traceback is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Exception in detector")


logging.getLogger("flufl.bounce").addFilter(_QuietDetectorErrors())

_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|"
                            r"mdaemon|mail-delivery|bounce[sd]?|nobody)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered|delivery (status )?notification|delivery (has )?failed|"
    r"failure notice|returned mail|mail delivery (failed|failure|system|problem|subsystem)|"
    r"could not be delivered|delivery failure|non[- ]?delivery|nondeliverable|"
    r"rejected|unzustellbar|non remis|no entregado|delivery problem|mail system error|"
    r"permanent error|bounce|warning: message|delayed mail|delivery delayed|"
    r"message not delivered|notificaci[oó]n de estado|error sending|delivery status)",
    re.IGNORECASE)
_FAILURE_WORDS = re.compile(
    r"(unknown|not found|no such|does not exist|doesn'?t exist|invalid|rejected|refused|"
    r"failed|undeliverable|could not|unable|denied|disabled|full|quota|error|5\d\d|4\d\d)",
    re.IGNORECASE)
_ADDRESS = re.compile(r"<?([\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>?")
_ORIGINAL_MARKERS = re.compile(
    r"^\s*(-+ ?(below this line is a copy|original message|the original message|"
    r"this is a copy of|undelivered message|returned message)|"
    r"-+\s*original message\s*-+|------ This is a copy of the message|"
    r"-{2,}.*\b(original|source mail|returned|attached|copy of|headers? of|message follows)|"
    r"original message follows)",
    re.IGNORECASE | re.MULTILINE)
_HEADER_LINE = re.compile(r"^\s*(message-id|references|in-reply-to|x-[\w-]+|received|"
                          r"return-path|from|sender|reply-to|list-[\w-]+)\s*:", re.IGNORECASE)


def sent_by_mail_system(msg: Message) -> bool:
    """From a mailer daemon, or titled like a delivery report (auto-replies are neither)."""
    name, sender = parseaddr(header(msg, "From"))
    return bool(_BOUNCE_SENDER.match(sender) or _BOUNCE_SUBJECT.search(header(msg, "Subject"))
                or re.search(r"mail delivery|mailer-daemon|postmaster|mail server|mail system",
                             name, re.IGNORECASE)
                or msg.get("X-Failed-Recipients"))


def looks_like_bounce(msg: Message) -> bool:
    return sent_by_mail_system(msg) or str(msg.get("Return-Path", "")).strip() == "<>"


def _decode(values: frozenset[bytes] | set[bytes]) -> list[str]:
    return [v.decode("ascii", "replace") for v in values]


def vendor_recipients(msg: Message) -> list[tuple[str, bool]]:
    """(address, temporary) for each failed recipient found, or [] when this is no bounce."""
    found: dict[str, tuple[str, bool]] = {}
    failed_header = ",".join(str(v) for v in msg.get_all("X-Failed-Recipients", []) or [])
    for _, address in getaddresses([failed_header]):
        if "@" in address:
            found.setdefault(address.lower(), (address, False))
    if not found:
        try:
            temporary, permanent = all_failures(msg)
        except Exception:  # noqa: BLE001 - a detector tripping over odd input is not our failure
            log.debug("flufl.bounce could not read a message", exc_info=True)
            temporary, permanent = set(), set()
        for address in _decode(permanent):
            if "@" in address:
                found.setdefault(address.lower(), (address, False))
        for address in _decode(temporary):
            if "@" in address:
                found.setdefault(address.lower(), (address, True))
    if not found and looks_like_bounce(msg):
        for address in _addresses_in_explanation(msg) or _original_recipient(msg):
            found.setdefault(address.lower(), (address, False))
    return list(found.values())


def _original_recipient(msg: Message) -> list[str]:
    """The To: of the returned original, when the explanation names nobody (one address)."""
    for part, _ in walk(msg):
        if content_type(part) not in ("message/rfc822", "text/rfc822-headers"):
            continue
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        to = str(inner.get("To", "")) if isinstance(inner, Message) else ""
        if not to:
            match = re.search(r"^to:\s*(.+)$", text_of(part)[:50_000], re.IGNORECASE | re.MULTILINE)
            to = match.group(1) if match else ""
        addresses = [a for _, a in getaddresses([to]) if "@" in a]
        return addresses if len(addresses) == 1 else []
    return []


def _addresses_in_explanation(msg: Message) -> list[str]:
    """Addresses on a line with a failure phrase, in the explanation above the original."""
    text = human_text(msg)
    cut = _ORIGINAL_MARKERS.search(text)
    if cut:
        text = text[:cut.start()]
    ours = {a.lower() for _, a in getaddresses([str(msg.get(n, "")) for n in
                                               ("From", "To", "Reply-To", "Sender", "Cc")])}
    lines = text.splitlines()
    candidates: list[str] = []
    for i, line in enumerate(lines[:2000]):
        if _HEADER_LINE.match(line):
            continue
        for match in _ADDRESS.finditer(line):
            address = match.group(1).strip(".")
            if address.lower() in ours or _BOUNCE_SENDER.match(address):
                continue
            context = " ".join(lines[i:i + 3])
            if _FAILURE_WORDS.search(context):
                candidates.append(address)
    return list(dict.fromkeys(candidates))[:50]
