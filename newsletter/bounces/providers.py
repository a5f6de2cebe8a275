"""Provider events (Amazon SES, Postmark, Mailgun, SendGrid) in our own terms.

Each provider's payload becomes ProviderEvent: a stable id (so a retried webhook counts once),
a Classification like the one a DSN gives, and whatever ties it to our copy (the envelope
sender with its VERP tag, our Message-ID). Signature checks follow each provider's docs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from . import reasons
from .classify import Classification, Recipient

MAX_SKEW = 15 * 60  # seconds a signed timestamp may be off (replays of old events are refused)


class WebhookRefused(Exception):
    """Not provably from the provider."""


@dataclass
class ProviderEvent:
    event_id: str
    classification: Classification


def _recipient(address: str, status: str, diagnostic: str, *, default: str, temporary: bool
               ) -> Recipient:
    status = status if reasons.reason_from_status(status) or status[:1] in "245" else ""
    reason = reasons.decide(status, diagnostic) if (status or diagnostic) else default
    if reason == "undefined":
        reason = default
    if not status or status.endswith(".0.0"):
        status = reasons.pseudo_status(reason, "4" if temporary else "5")
    return Recipient(address, status, reasons.is_hard(reason, status), reason, diagnostic[:500])


def _message(kind: str, recipients: list[Recipient], *, envelope: str = "",
             message_ids: list[str] | None = None, subject: str = "") -> Classification:
    return Classification(kind=kind, recipients=recipients, envelope_to=[envelope] if envelope else [],
                          message_ids=[m if m.startswith("<") else f"<{m}>" for m in message_ids or []
                                       if m], subject=subject[:300])


# --- Amazon SES (the Message inside an SNS notification) ----------------------------------

_SES_SUBTYPES = {"noemail": "userunknown", "mailboxfull": "mailboxfull",
                 "messagetoolarge": "emailtoolarge", "contentrejected": "spamdetected",
                 "attachmentrejected": "policyviolation", "suppressed": "suspend",
                 "onaccountsuppressionlist": "suspend", "general": "undefined"}


def ses_events(message: str, notification_id: str) -> list[ProviderEvent]:
    try:
        data = json.loads(message)
    except ValueError as exc:
        raise WebhookRefused("the SNS Message is not SES JSON") from exc
    if not isinstance(data, dict):
        raise WebhookRefused("the SNS Message is not an SES notification")
    kind = str(data.get("notificationType") or data.get("eventType") or "")
    mail = data.get("mail") or {}
    envelope = str(mail.get("source", ""))
    headers = {str(h.get("name", "")).lower(): str(h.get("value", ""))
               for h in mail.get("headers", []) if isinstance(h, dict)}
    ids = [headers.get("message-id", "")]
    subject = str((mail.get("commonHeaders") or {}).get("subject", ""))
    if kind == "Bounce":
        bounce = data.get("bounce") or {}
        temporary = bounce.get("bounceType") != "Permanent"
        default = _SES_SUBTYPES.get(str(bounce.get("bounceSubType", "")).lower(), "undefined")
        if default == "undefined":
            default = "onhold" if bounce.get("bounceType") == "Undetermined" else (
                "undefined" if temporary else "userunknown")
        recipients = [
            _recipient(str(r.get("emailAddress", "")), str(r.get("status", "")),
                       str(r.get("diagnosticCode", "")), default=default, temporary=temporary)
            for r in bounce.get("bouncedRecipients", []) if isinstance(r, dict)]
        result = _message("bounce", recipients, envelope=envelope, message_ids=ids, subject=subject)
        return [ProviderEvent(f"ses:{bounce.get('feedbackId') or notification_id}", result)]
    if kind == "Complaint":
        complaint = data.get("complaint") or {}
        recipients = [Recipient(str(r.get("emailAddress", "")), "", False, "feedback")
                      for r in complaint.get("complainedRecipients", []) if isinstance(r, dict)]
        result = _message("complaint", recipients, envelope=envelope, message_ids=ids,
                          subject=subject)
        return [ProviderEvent(f"ses:{complaint.get('feedbackId') or notification_id}", result)]
    if kind == "Delivery":
        delivery = data.get("delivery") or {}
        recipients = [Recipient(str(a), "2.0.0", False, "delivered")
                      for a in delivery.get("recipients", [])]
        return [ProviderEvent(f"ses:{notification_id}", _message(
            "delivered", recipients, envelope=envelope, message_ids=ids, subject=subject))]
    return []


# --- Postmark: HTTP basic auth on the webhook URL -----------------------------------------

def check_basic_auth(header: str, expected: str | None) -> None:
    if not expected:
        raise WebhookRefused("this webhook is not configured")
    scheme, _, value = header.partition(" ")
    try:
        given = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise WebhookRefused("bad credentials") from exc
    if scheme.lower() != "basic" or not hmac.compare_digest(given.encode(), expected.encode()):
        raise WebhookRefused("bad credentials")


_POSTMARK_TYPES = {"HardBounce": ("userunknown", False), "SoftBounce": ("undefined", True),
                   "Transient": ("undefined", True), "DnsError": ("hostunknown", True),
                   "BadEmailAddress": ("userunknown", False), "AutoResponder": (None, True),
                   "SpamNotification": ("spamdetected", False), "Blocked": ("blocked", False),
                   "ManuallyDeactivated": ("suspend", False), "InboxFull": ("mailboxfull", True),
                   "ContentRelated": ("contenterror", False), "AddressChange": ("hasmoved", False),
                   "VirusNotification": ("virusdetected", False), "DMARCPolicy": ("authfailure", False),
                   "TemplateRenderingFailed": ("contenterror", False)}


def postmark_events(data: Any) -> list[ProviderEvent]:
    if not isinstance(data, dict):
        raise WebhookRefused("not a Postmark webhook body")
    record = data.get("RecordType")
    address = str(data.get("Email") or data.get("Recipient") or "")
    event_id = f"postmark:{data.get('ID') or data.get('MessageID')}:{record}"
    if record == "SpamComplaint" or data.get("Type") == "SpamComplaint":
        return [ProviderEvent(event_id, _message("complaint", [Recipient(address, "", False, "feedback")],
                                                 subject=str(data.get("Subject", ""))))]
    if record == "Bounce":
        default, temporary = _POSTMARK_TYPES.get(str(data.get("Type", "")), ("undefined", True))
        if default is None:
            return [ProviderEvent(event_id, _message("auto-reply", [
                Recipient(address, "", False, "vacation")]))]
        details = str(data.get("Details") or data.get("Description") or "")
        recipient = _recipient(address, "", details, default=default, temporary=temporary)
        return [ProviderEvent(event_id, _message("bounce", [recipient],
                                                 subject=str(data.get("Subject", ""))))]
    if record == "Delivery":
        return [ProviderEvent(event_id, _message("delivered", [
            Recipient(address, "2.0.0", False, "delivered")]))]
    return []


# --- Mailgun: HMAC-SHA256 of timestamp + token with the webhook signing key ----------------

def check_mailgun(data: Any, signing_key: str | None, now: float | None = None) -> None:
    if not signing_key:
        raise WebhookRefused("this webhook is not configured")
    signature = data.get("signature") if isinstance(data, dict) else None
    if not isinstance(signature, dict):
        raise WebhookRefused("no signature")
    timestamp, token = str(signature.get("timestamp", "")), str(signature.get("token", ""))
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, str(signature.get("signature", ""))):
        raise WebhookRefused("the signature does not match")
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > MAX_SKEW:
        raise WebhookRefused("the signature is too old")


def mailgun_events(data: dict[str, Any]) -> list[ProviderEvent]:
    event = data.get("event-data")
    if not isinstance(event, dict):
        raise WebhookRefused("no event-data")
    kind = event.get("event")
    address = str(event.get("recipient", ""))
    envelope = str((event.get("envelope") or {}).get("sender", ""))
    ids = [str(((event.get("message") or {}).get("headers") or {}).get("message-id", ""))]
    event_id = f"mailgun:{event.get('id') or data['signature'].get('token')}"
    if kind == "complained":
        return [ProviderEvent(event_id, _message("complaint", [Recipient(address, "", False, "feedback")],
                                                 envelope=envelope, message_ids=ids))]
    if kind == "failed":
        status_info = event.get("delivery-status") or {}
        temporary = event.get("severity") != "permanent"
        code = str(status_info.get("code", ""))
        diagnostic = " ".join(str(status_info.get(k) or "") for k in ("message", "description")).strip()
        status = str(status_info.get("enhanced-code") or "")
        reason = str(event.get("reason", ""))
        default = {"suppress-bounce": "suspend", "suppress-complaint": "feedback",
                   "suppress-unsubscribe": "onhold", "old": "expired"}.get(reason, "undefined")
        recipient = _recipient(address, status, f"{code} {diagnostic}".strip(), default=default,
                               temporary=temporary)
        return [ProviderEvent(event_id, _message("bounce", [recipient], envelope=envelope,
                                                 message_ids=ids))]
    if kind == "delivered":
        return [ProviderEvent(event_id, _message("delivered", [
            Recipient(address, "2.0.0", False, "delivered")], envelope=envelope, message_ids=ids))]
    return []


# --- SendGrid: ECDSA (P-256, SHA-256) over timestamp + raw body ----------------------------

def check_sendgrid(body: bytes, signature: str, timestamp: str, public_key: str | None,
                   now: float | None = None) -> None:
    if not public_key:
        raise WebhookRefused("this webhook is not configured")
    try:
        key = serialization.load_der_public_key(base64.b64decode(public_key))
        sig = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookRefused("unreadable signature or key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise WebhookRefused("the configured key is not an EC key")
    try:
        key.verify(sig, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise WebhookRefused("the signature does not match") from exc
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > MAX_SKEW:
        raise WebhookRefused("the signature is too old")


def sendgrid_events(data: Any) -> list[ProviderEvent]:
    if not isinstance(data, list):
        raise WebhookRefused("a SendGrid event webhook body is a JSON array")
    found = []
    for event in data[:1000]:
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        address = str(event.get("email", ""))
        event_id = f"sendgrid:{event.get('sg_event_id') or event.get('sg_message_id')}:{kind}"
        ids = [str(event.get("smtp-id", ""))]
        if kind == "spamreport":
            found.append(ProviderEvent(event_id, _message(
                "complaint", [Recipient(address, "", False, "feedback")], message_ids=ids)))
        elif kind in ("bounce", "deferred", "dropped"):
            temporary = kind == "deferred"
            default = {"blocked": "blocked"}.get(str(event.get("type", "")), "undefined")
            if kind == "dropped":
                default, temporary = "suspend", False
            recipient = _recipient(address, str(event.get("status", "")),
                                   str(event.get("reason") or event.get("response") or ""),
                                   default=default, temporary=temporary)
            found.append(ProviderEvent(event_id, _message("bounce", [recipient], message_ids=ids)))
        elif kind == "delivered":
            found.append(ProviderEvent(event_id, _message(
                "delivered", [Recipient(address, "2.0.0", False, "delivered")], message_ids=ids)))
    return found
