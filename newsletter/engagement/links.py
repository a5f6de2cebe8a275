"""Tracked links: `/r/<edition>.<link>.<link sig>[.<reader>.<reader sig>]`.

`<link>` numbers the edition's article links in order (every source of every block; the
render keeps which item each is in); editions rendered before every link was tracked had
one per item, numbered by item. The edition's render holds the first half (signed once per
link); each copy appends the reader part (signed once per copy, with a key derived once
per process) to all of them, so stamping stays string joins. The URL itself is never in the
token: the redirect looks it up in that edition's stored render, so a token cannot point
anywhere else (no open redirect), and a changed number or signature is refused.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from dataclasses import dataclass

PLACEHOLDER = "{{click_reader}}"
SIG_BYTES = 12


@functools.cache
def _key(secret_key: str) -> bytes:
    return hashlib.sha256(b"newsletter.click-link\x00" + secret_key.encode("utf-8")).digest()


def _sig(key: bytes, *parts: object) -> str:
    mac = hmac.digest(key, ".".join(str(p) for p in parts).encode("ascii"), "sha256")
    return base64.urlsafe_b64encode(mac[:SIG_BYTES]).decode("ascii").rstrip("=")


class ClickSigner:
    def __init__(self, secret_key: str) -> None:
        self.key = _key(secret_key)

    def link_path(self, edition_id: int, item: int) -> str:
        """`/r/...` for one link (`item`: its number in the edition), without a reader
        (what previews show)."""
        return f"/r/{edition_id}.{item}.{_sig(self.key, 'L', edition_id, item)}"

    def open_path(self, edition_id: int) -> str:
        """The open pixel of an edition, without a reader (each copy appends its own)."""
        return f"/o/{edition_id}.{_sig(self.key, 'O', edition_id)}"

    def parse_open(self, token: str) -> tuple[int, int] | None:
        """(edition id, subscriber id) of a pixel token, or None when forged or altered."""
        parts = token.split(".")
        if len(parts) != 4 or not (parts[0].isdigit() and parts[2].isdigit()
                                   and len(parts[0]) < 11 and len(parts[2]) < 11):
            return None
        edition_id, subscriber_id = int(parts[0]), int(parts[2])
        if not (hmac.compare_digest(parts[1], _sig(self.key, "O", edition_id)) and
                hmac.compare_digest(parts[3], _sig(self.key, "R", edition_id, subscriber_id))):
            return None
        return edition_id, subscriber_id

    def reader_part(self, edition_id: int, subscriber_id: int) -> str:
        """What one copy appends to every tracked link of the edition."""
        return f".{subscriber_id}.{_sig(self.key, 'R', edition_id, subscriber_id)}"

    def parse(self, token: str) -> ClickRef | None:
        """The click a token names, or None when any part is forged or altered."""
        parts = token.split(".")
        if len(parts) not in (3, 5) or not all(p.isdigit() and len(p) < 11 for p in
                                                   (parts[0], parts[1], *parts[3:4])):
            return None
        edition_id, item = int(parts[0]), int(parts[1])
        if not hmac.compare_digest(parts[2], _sig(self.key, "L", edition_id, item)):
            return None
        if len(parts) == 3:
            return ClickRef(edition_id, item, None)
        subscriber_id = int(parts[3])
        if not hmac.compare_digest(parts[4], _sig(self.key, "R", edition_id, subscriber_id)):
            return None
        return ClickRef(edition_id, item, subscriber_id)


@dataclass(frozen=True)
class ClickRef:
    edition_id: int
    item: int
    subscriber_id: int | None
