"""Signed preferences/unsubscribe links for a whole batch, identical to `Links` but cheaper.

itsdangerous derives its HMAC key from the secret on every call (~48 µs a token, two tokens
a message: a sixth of a worker's CPU per message). Here each purpose's key is derived once
per batch, and a token is built as itsdangerous' URL-safe serializer builds it (compact JSON
of the payload, zlib only when that is shorter, URL-safe base64, HMAC of that) with the
one-shot `hmac.digest` and the JSON written directly: 30 µs a token in a profile of
`bench/flush.py`, as much as the rest of a copy's stamping, before this. On construction
the fast path is checked against `Links` itself; if they ever differ it is not used.
"""

from __future__ import annotations

import hmac
import zlib

from itsdangerous import URLSafeSerializer
from itsdangerous.encoding import base64_encode

from ..engagement.links import ClickSigner
from ..subscribers.links import Links
from ..subscribers.tokens import Purpose, payload

_CHECK_IDS = (1, 42, 987_654_321)


class BatchLinks:
    def __init__(self, links: Links, secret_key: str | None) -> None:
        self.links = links
        self._signers: dict[str, tuple[bytes, str, bytes]] = {}  # key, digest, separator
        self.clicks = ClickSigner(secret_key) if secret_key else None
        if secret_key:
            for purpose in (Purpose.PREFERENCES, Purpose.UNSUBSCRIBE):
                serializer = URLSafeSerializer(secret_key, salt=f"newsletter.{purpose}")
                signer = serializer.make_signer(serializer.salt)
                digest = signer.algorithm.digest_method().name  # type: ignore[attr-defined]
                self._signers[purpose] = (signer.derive_key(), digest, signer.sep)
            if not self._agrees():
                self._signers = {}

    def _agrees(self) -> bool:
        return all(self.preferences(i, v) == self.links.preferences(i, v)
                   and self.unsubscribe(i, v) == self.links.unsubscribe(i, v)
                   for i in _CHECK_IDS for v in (0, 3))

    @property
    def fast(self) -> bool:
        return bool(self._signers)

    def _token(self, purpose: str, subscriber_id: int, version: int) -> str:
        key, digest, sep = self._signers[purpose]
        data = _compact_json(payload(subscriber_id, version))
        compressed = zlib.compress(data)  # used when shorter: itsdangerous' rule, same bytes
        value = (b"." + base64_encode(compressed) if len(compressed) < len(data) - 1
                 else base64_encode(data))
        signature = base64_encode(hmac.digest(key, value, digest))
        return (value + sep + signature).decode("ascii")

    def preferences(self, subscriber_id: int, version: int = 0) -> str:
        if not self._signers:
            return self.links.preferences(subscriber_id, version)
        token = self._token(Purpose.PREFERENCES, subscriber_id, version)
        return f"{self.links.base_url}/preferences/{token}"

    def web_copy(self, edition_id: int, mask: int) -> str:
        return self.links.web_copy(edition_id, mask)

    def click_reader(self, edition_id: int, subscriber_id: int) -> str:
        """The reader part of this copy's tracked links (one HMAC per copy, key derived once)."""
        return self.clicks.reader_part(edition_id, subscriber_id) if self.clicks else ""

    def unsubscribe(self, subscriber_id: int, version: int = 0) -> str:
        if not self._signers:
            return self.links.unsubscribe(subscriber_id, version)
        token = self._token(Purpose.UNSUBSCRIBE, subscriber_id, version)
        return f"{self.links.base_url}/unsubscribe/{token}"


def _compact_json(value: int | list[int]) -> bytes:
    """The payload as itsdangerous' compact JSON writes it: `7` or `[7,3]`."""
    if isinstance(value, int):
        return b"%d" % value
    return b"[" + b",".join(b"%d" % part for part in value) + b"]"
