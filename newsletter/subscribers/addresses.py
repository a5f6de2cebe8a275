"""Email address checks: syntax and normalization by email-validator, no DNS lookups here."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from ..errors import ValidationError

MAX_EMAIL = 254
TOO_LONG = f"That email address is too long (at most {MAX_EMAIL} characters)."


def normalize_email(raw: str) -> str:
    """A deliverable-looking, normalized address, or ValidationError with a readable reason.

    SMTPUTF8 (non-ASCII local parts) is refused because many receiving servers reject it;
    international domains are accepted and stored in their ASCII (IDNA) form.
    """
    value = (raw or "").strip()
    if not value:
        raise ValidationError("Enter your email address.", field="email")
    if len(value) > MAX_EMAIL:
        raise ValidationError(TOO_LONG, field="email")
    if any(c in value for c in "\r\n\x00"):
        raise ValidationError(
            "An email address cannot contain line breaks or control characters.", field="email"
        )
    try:
        info = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValidationError(f"That email address is not valid: {exc}", field="email") from exc
    address = f"{info.local_part}@{info.ascii_domain}"
    if len(address) > MAX_EMAIL:
        raise ValidationError(TOO_LONG, field="email")
    return address


def email_key(address: str) -> str:
    return address.lower()
