"""What a returned message is and who it is about: the one entry point is `classify`.

Order matters: a feedback report (RFC 5965) is a complaint even when it looks like a bounce;
an RFC 3464 report is read field by field; only then auto-replies (RFC 3834); the rest goes
to flufl.bounce's detectors for the formats of particular MTAs, and to the phrase tables.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from email.message import Message
from email.utils import getaddresses, parseaddr

from . import reasons
from .message import content_type, header, human_text, parse, text_of, walk
from .vendors import sent_by_mail_system, vendor_recipients

KINDS = ("bounce", "complaint", "auto-reply", "delivered", "other")
MAX_RECIPIENTS = 5000

_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
_TEXT_STATUS = re.compile(r"(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
_SMTP_CODE = re.compile(r"(?<![\d.#-])([245])\d\d(?=[\s-])")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_TEXT_DSN_RECIPIENT = re.compile(r"^(final|original)-recipient:", re.IGNORECASE | re.MULTILINE)
_TEXT_DSN_ACTION = re.compile(r"^action:", re.IGNORECASE | re.MULTILINE)
_MESSAGE_ID = re.compile(r"^message-id:\s*(<[^>\s]{1,250}>)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Recipient:
    address: str
    status: str
    hard: bool
    reason: str
    diagnostic: str = ""

    def public(self) -> dict[str, object]:
        return {"address": self.address, "status": self.status, "hard": self.hard,
                "reason": self.reason}


@dataclass
class Classification:
    kind: str
    recipients: list[Recipient] = field(default_factory=list)
    # Message-IDs found in the returned original: how we recognise a copy we sent
    message_ids: list[str] = field(default_factory=list)
    # where the returned message was delivered to: carries the VERP tag
    envelope_to: list[str] = field(default_factory=list)
    message_id: str = ""
    subject: str = ""
    sender: str = ""
    # RFC 5965 Feedback-Type of a complaint ("abuse", "auth-failure", …); "" when not given
    feedback_type: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "recipients": [r.public() for r in self.recipients]}

    def json_line(self, path: str) -> str:
        return json.dumps({"file": path, **self.as_dict()}, ensure_ascii=False)

    def full(self) -> dict[str, object]:
        data = asdict(self)
        data["recipients"] = [asdict(r) for r in self.recipients]
        return data


def classify(raw: bytes) -> Classification:
    """Classify one returned message (bytes as received). Never raises on bad input."""
    msg = parse(raw)
    result = Classification(kind="other")
    result.subject = header(msg, "Subject")[:300]
    result.sender = parseaddr(header(msg, "From"))[1][:254]
    result.message_id = header(msg, "Message-ID")[:255]
    result.envelope_to = _envelope_to(msg)
    result.message_ids = _returned_message_ids(msg)
    for detector in (_feedback_report, _delivery_status, _auto_reply, _vendor):
        kind, recipients = detector(msg)
        if kind:
            result.kind = kind
            result.recipients = _dedupe(recipients)[:MAX_RECIPIENTS]
            break
    if result.kind == "complaint":
        result.feedback_type = _feedback_type(msg)
    return result


def _feedback_type(msg: Message) -> str:
    for part, _ in walk(msg):
        if content_type(part) == "message/feedback-report":
            payload = part.get_payload()
            fields = payload[0] if isinstance(payload, list) and payload else _header_block(text_of(part))
            if isinstance(fields, Message):
                return str(fields.get("Feedback-Type", "")).strip().lower()[:32]
    return ""


def _dedupe(recipients: list[Recipient]) -> list[Recipient]:
    seen: dict[str, Recipient] = {}
    for r in recipients:
        key = r.address.lower()
        if key and (key not in seen or (r.hard and not seen[key].hard)):
            seen[key] = r
    return list(seen.values())


def _clean_address(value: str) -> str:
    value = value.strip().strip("<>").strip()
    if ";" in value:
        value = value.split(";", 1)[1].strip().strip("<>").strip()
    value = value.strip().strip("'\"<>").strip()
    found = _ADDRESS.search(value)
    return found.group(0).rstrip(".") if found else ""


def _envelope_to(msg: Message) -> list[str]:
    found: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To",
                 "X-Rcpt-To", "Original-Recipient"):
        for value in msg.get_all(name, []) or []:
            for _, addr in getaddresses([str(value)]):
                if addr and addr not in found:
                    found.append(addr)
    return found[:20]


def _returned_message_ids(msg: Message) -> list[str]:
    ids: list[str] = []
    for part, depth in walk(msg):
        if depth == 0:
            continue
        kind = content_type(part)
        if kind == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(inner, Message) and inner.get("Message-ID"):
                ids.append(str(inner.get("Message-ID")).strip())
        elif kind in ("text/rfc822-headers", "message/rfc822-headers") or (
            kind == "text/plain"
        ):
            ids.extend(_MESSAGE_ID.findall(text_of(part)[:100_000]))
    if not msg.is_multipart():
        body = text_of(msg)
        ids.extend(_MESSAGE_ID.findall(body[:200_000]))
    return list(dict.fromkeys(i for i in ids if len(i) < 255))[:20]


# --- RFC 5965 feedback reports and their look-alikes --------------------------------------

def _feedback_report(msg: Message) -> tuple[str | None, list[Recipient]]:
    report_type = (msg.get_param("report-type") or "") if msg.is_multipart() else ""
    fields: Message | None = None
    original: Message | None = None
    for part, _ in walk(msg):
        kind = content_type(part)
        if kind == "message/feedback-report":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                fields = payload[0]
            else:
                fields = _header_block(text_of(part))
        elif kind in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _original_headers(part)
    jmrp = msg.get("X-HmXmrOriginalRecipient")
    if str(report_type).lower() != "feedback-report" and fields is None and not jmrp:
        return None, []
    address = ""
    if fields is not None:
        for name in ("Original-Rcpt-To", "Removal-Recipient"):
            address = _clean_address(str(fields.get(name, "")))
            if address:
                break
    if not address and jmrp:
        address = _clean_address(str(jmrp))
    if not address and original is not None:
        address = _clean_address(str(original.get("To", "")))
    recipients = [Recipient(address, "", False, "feedback")] if address else []
    return "complaint", recipients


def _original_headers(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    return _header_block(text_of(part))


def _header_block(text: str) -> Message:
    from email.parser import HeaderParser

    return HeaderParser().parsestr(text.lstrip()[:100_000], headersonly=True)


# --- RFC 3464 delivery status notifications ------------------------------------------------

def _status_blocks(msg: Message) -> list[Message]:
    blocks: list[Message] = []
    for part, _ in walk(msg):
        kind = content_type(part)
        if kind in ("message/delivery-status", "message/global-delivery-status"):
            payload = part.get_payload()
            if isinstance(payload, list) and all(isinstance(p, Message) for p in payload):
                if len(payload) == 1 and content_type(part) == "message/global-delivery-status":
                    blocks.extend(_split_blocks(payload[0].as_string()))
                else:
                    blocks.extend(payload)
            else:
                blocks.extend(_split_blocks(text_of(part)))
        elif kind == "text/plain" and not blocks:
            # some MTAs send the status fields as text/plain; read them when they are there
            text = text_of(part)[:20000]
            if _TEXT_DSN_RECIPIENT.search(text) and _TEXT_DSN_ACTION.search(text):
                blocks.extend(_split_blocks(text))
    return blocks


def _split_blocks(text: str) -> list[Message]:
    return [_header_block(chunk) for chunk in re.split(r"\r?\n[ \t]*\r?\n", text) if chunk.strip()]


def _diagnostic(block: Message) -> str:
    text = " ".join(str(block.get(name, "")) for name in ("Diagnostic-Code", "X-Postfix-Diagnostic",
                                                            "X-Diagnostic"))
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"^(smtp|x-[\w-]+|x-unix|x-local)\s*;\s*", "", text, flags=re.IGNORECASE)


def _delivery_status(msg: Message) -> tuple[str | None, list[Recipient]]:
    blocks = _status_blocks(msg)
    if not blocks:
        return None, []
    human = None
    failed: list[Recipient] = []
    delivered: list[Recipient] = []
    for block in blocks:
        raw_address = str(block.get("Final-Recipient") or block.get("Original-Recipient") or
                          block.get("X-Actual-Recipient") or "")
        address = _clean_address(raw_address)
        if not address:
            continue
        action = str(block.get("Action", "")).strip().lower()
        status_field = _STATUS.search(str(block.get("Status", "")))
        status = ".".join(status_field.groups()) if status_field else ""
        diagnostic = _diagnostic(block)
        if action.startswith(("delivered", "relayed", "expanded")) or status.startswith("2"):
            delivered.append(Recipient(address, status or "2.0.0", False, "delivered"))
            continue
        if not diagnostic:
            if human is None:
                human = human_text(msg)
            diagnostic = _near(human, address)
        if action.startswith("delayed") and not status.startswith("5"):
            recipient = _recipient(address, diagnostic, status, temporary=True)
            if recipient.reason in ("undefined", "onhold", "systemerror", "networkerror"):
                recipient.reason = "expired"
            failed.append(recipient)
        else:
            recipient = _recipient(address, diagnostic, status)
            # failed with a 4xx status: the sending MTA retried until its queue lifetime ran out
            if recipient.status.startswith("4") and recipient.reason in _GAVE_UP:
                recipient.reason = "expired"
            failed.append(recipient)
    if failed:
        return "bounce", failed
    if delivered:
        return "delivered", delivered
    return None, []


_GAVE_UP = frozenset({"networkerror", "systemerror", "undefined", "onhold"})


def _recipient(address: str, diagnostic: str, status: str = "",
               temporary: bool = False) -> Recipient:
    """Decide status, reason and hard/soft for one recipient from what the bounce says."""
    diagnostic = diagnostic[:2000]
    in_text = _TEXT_STATUS.search(diagnostic)
    text_status = ".".join(in_text.groups()) if in_text else ""
    if text_status and (not status or (status.endswith(".0.0") and text_status[0] == status[0])):
        status = text_status
    code = _SMTP_CODE.search(diagnostic)
    smtp_class = status[:1] if status else (code.group(1) if code else ("4" if temporary else "5"))
    reason = reasons.decide(status, diagnostic)
    if not status or status.endswith(".0.0"):
        if reason not in ("undefined", "onhold"):
            status = reasons.pseudo_status(reason, smtp_class)
        elif not status:
            status = f"{smtp_class or '5'}.0.0"
    return Recipient(address, status, reasons.is_hard(reason, status), reason, diagnostic[:500])


def _near(text: str, address: str, others: tuple[str, ...] = (), span: int = 700) -> str:
    """The explanation for one recipient: from the line naming the address, up to the next
    failed address (several recipients often share one explanation below them)."""
    if not text:
        return ""
    lowered = text.lower()
    at = lowered.find(address.lower())
    if at < 0:
        return re.sub(r"\s+", " ", text[:span * 2])
    start = lowered.rfind("\n", 0, at) + 1
    end = min(len(text), at + len(address) + span)
    for other in others:
        if other.lower() == address.lower():
            continue
        nxt = lowered.find(other.lower(), at + len(address), end)
        # only cut when the other address also has text of its own after it
        if nxt > 0 and nxt - at > 40:
            end = nxt
    return re.sub(r"\s+", " ", text[start:end])


# --- RFC 3834 automatic responses --------------------------------------------------------

_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?(reply|response|antwort|respon\w*)|automatische antwort|autoresponder|"
    r"out of (the )?office|(i am |i'm )?(away|on vacation|on holiday|on leave)|vacation|"
    r"abwesen\w*|absence|r[ée]ponse automatique|respuesta autom[áa]tica|risposta automatica|"
    r"resposta autom[áa]tica|fuera de la oficina|automatisch antwoord|afwezig|autosvar|"
    r"automaattinen vastaus|odpowied[zź] automatyczna|automatick[áa] odpov[ěe]d[’']?|"
    r"自動応答|自动回复|\[?auto\]?:|ooo\b)",
    re.IGNORECASE,
)


def _auto_reply(msg: Message) -> tuple[str | None, list[Recipient]]:
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    subject = header(msg, "Subject")
    markers = (
        auto.startswith("auto-replied")
        or msg.get("X-Autoreply") is not None
        or msg.get("X-Autorespond") is not None
        or msg.get("X-Autoresponder") is not None
        or str(msg.get("X-Auto-Response", "")).strip() != ""
        or str(msg.get("Precedence", "")).strip().lower() == "auto_reply"
        or bool(_AUTO_SUBJECT.search(subject.strip()))
    )
    if not markers or "rejected" in auto or sent_by_mail_system(msg):
        return None, []
    address = parseaddr(header(msg, "From"))[1]
    recipients = [Recipient(address, "", False, "vacation")] if address else []
    return "auto-reply", recipients


# --- everything else: vendor formats and plain-text explanations --------------------------

def _vendor(msg: Message) -> tuple[str | None, list[Recipient]]:
    found = vendor_recipients(msg)
    if not found:
        return None, []
    human = human_text(msg)
    others = tuple(a for a, _ in found)
    recipients = []
    for address, temporary in found:
        recipients.append(_recipient(address, _near(human, address, others), temporary=temporary))
    return "bounce", recipients
