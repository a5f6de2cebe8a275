"""The signature on every call: `sha256=` + hex HMAC-SHA256(secret, timestamp + "." + body).

The timestamp is signed with the body, so a receiver that refuses timestamps older than
`REPLAY_WINDOW_SECONDS` cannot be fed a recorded call again later.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Newsletter-Timestamp"
SIGNATURE_HEADER = "X-Newsletter-Signature"
CALL_ID_HEADER = "X-Newsletter-Call"
REPLAY_WINDOW_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body,
                      hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, header: str, now: int,
           window: int = REPLAY_WINDOW_SECONDS) -> bool:
    """What a receiver does (and what our docs and tests show): check age, then the HMAC."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > window:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), header)
