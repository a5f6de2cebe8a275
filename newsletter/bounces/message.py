"""Read a returned message safely: bounded size, bounded nesting, any broken encoding.

Returned mail is written by strangers' software (and sometimes by attackers): a 20 MB
original, a thousand nested multiparts or a part in a charset nobody knows must give a clear
answer quickly, never an exception.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email.message import Message
from email.policy import compat32

# The report parts come before the returned original; past this the rest is not read.
MAX_BYTES = 2_000_000
MAX_PARTS = 400
MAX_DEPTH = 20
MAX_TEXT = 200_000


def parse(raw: bytes) -> Message:
    """A Message from the first MAX_BYTES; a nesting bomb degrades to its top headers."""
    data = raw[:MAX_BYTES]
    try:
        return email.message_from_bytes(data, policy=compat32)
    except (RecursionError, MemoryError, ValueError, LookupError, TypeError):
        head = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0]
        return email.message_from_bytes(head + b"\n\n", policy=compat32)


def walk(msg: Message) -> Iterator[tuple[Message, int]]:
    """Every part with its depth, depth-first, at most MAX_PARTS parts and MAX_DEPTH deep."""
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack and seen < MAX_PARTS:
        part, depth = stack.pop()
        seen += 1
        yield part, depth
        if depth >= MAX_DEPTH:
            continue
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))


def content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except (ValueError, TypeError, AttributeError):  # a header too broken to read
        return "text/plain"


def header(part: Message, name: str) -> str:
    """A header as text; encoded-words decoded, raw 8-bit values read as UTF-8 (else Latin-1)."""
    raw = next((v for k, v in part.raw_items() if k.lower() == name.lower()), None)
    if raw is None:
        return ""
    if isinstance(raw, str) and not raw.isascii():  # 8-bit bytes kept as surrogate escapes
        data = raw.encode("ascii", "surrogateescape")
        try:
            return data.decode("utf-8").strip()
        except UnicodeDecodeError:
            return data.decode("latin-1").strip()
    try:
        parts = email.header.decode_header(str(raw))
        return "".join(
            text.decode(charset or "utf-8", "replace") if isinstance(text, bytes) else text
            for text, charset in parts
        ).strip()
    except (LookupError, ValueError, TypeError, email.errors.HeaderParseError):
        return str(raw).strip()


def text_of(part: Message) -> str:
    """The decoded text of a leaf part, whatever its declared charset (bad bytes replaced)."""
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError):
        data = None
    if data is None:
        payload = part.get_payload()
        return payload[:MAX_TEXT] if isinstance(payload, str) else ""
    data = data[:MAX_TEXT]
    charset = "utf-8"
    try:
        charset = part.get_content_charset() or "utf-8"
        return data.decode(charset, "replace")
    except (LookupError, ValueError, TypeError):
        return data.decode("latin-1")


def human_text(msg: Message) -> str:
    """The readable explanation of a bounce: its text parts, not the returned original."""
    chunks: list[str] = []
    inside_original = 0
    for part, depth in walk(msg):
        kind = content_type(part)
        if kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            inside_original = depth
            continue
        if inside_original and depth > inside_original:
            continue
        inside_original = 0
        if kind == "text/plain" or (kind == "text/html" and not chunks):
            text = text_of(part)
            if kind == "text/html":
                text = re.sub(r"<[^>]{0,2000}>", " ", text)
            chunks.append(text)
        if sum(len(c) for c in chunks) > MAX_TEXT:
            break
    return "\n".join(chunks)[:MAX_TEXT]
