"""VERP: each copy leaves with its own signed envelope sender, bounces+TAG@domain.

The tag names the copy (edition and reader, or a reader for one-off mail) and carries a
truncated HMAC, so a returned message can be tied to what we sent without trusting anything
else in it, and a forged or altered tag matches nothing. Tags are lower-case hex: some
mail systems change the case of local parts.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

MAX_LOCAL_PART = 64  # RFC 5321 4.5.3.1.1
MAC_CHARS = 12


@dataclass(frozen=True)
class Copy:
    """What a valid tag names: an edition copy (edition_id set) or one-off mail to a reader."""

    subscriber_id: int
    edition_id: int | None = None


class Verp:
    def __init__(self, envelope_from: str, secret_key: str) -> None:
        local, _, domain = envelope_from.strip().strip("<>").rpartition("@")
        if not local or not domain:
            raise ValueError(f"ENVELOPE_FROM is not an address: {envelope_from!r}")
        self.local = local
        self.domain = domain
        self._key = hashlib.sha256(b"newsletter.verp." + secret_key.encode()).digest()
        self._pattern = re.compile(
            re.escape(local) + r"\+([0-9a-f]{1,16}(?:-[0-9a-f]{1,16})?-[0-9a-f]{" + str(MAC_CHARS)
            + r"})@" + re.escape(domain), re.IGNORECASE)

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:MAC_CHARS]

    def _body(self, copy: Copy) -> str:
        if copy.edition_id is None:
            return f"{copy.subscriber_id:x}"
        return f"{copy.edition_id:x}-{copy.subscriber_id:x}"

    def sender(self, subscriber_id: int, edition_id: int | None = None) -> str:
        """The envelope sender for one copy; the plain address if the tag would not fit."""
        body = self._body(Copy(subscriber_id, edition_id))
        local = f"{self.local}+{body}-{self._mac(body)}"
        if len(local.encode()) > MAX_LOCAL_PART:
            return f"{self.local}@{self.domain}"
        return f"{local}@{self.domain}"

    def read(self, text: str) -> Copy | None:
        """The copy named by the first validly signed tag in `text`, or None."""
        for match in self._pattern.finditer(text):
            tag = match.group(1).lower()
            body, _, mac = tag.rpartition("-")
            if not hmac.compare_digest(mac, self._mac(body)):
                continue
            ids = [int(part, 16) for part in body.split("-")]
            if len(ids) == 1:
                return Copy(subscriber_id=ids[0])
            return Copy(subscriber_id=ids[1], edition_id=ids[0])
        return None
