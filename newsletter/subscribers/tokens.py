"""Signed, purpose-bound links for subscribers (itsdangerous).

The purpose is the signing salt, so a confirm token can never unsubscribe and vice versa.
Unsubscribe and preference links never expire: an old email must still let people leave.
"""

from __future__ import annotations

from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from ..errors import InvalidToken

CONFIRM_MAX_AGE = 7 * 24 * 3600


class Purpose(StrEnum):
    CONFIRM = "confirm"
    PREFERENCES = "preferences"
    UNSUBSCRIBE = "unsubscribe"


# "View in browser" tokens name an edition and its items, not a subscriber: their own salt.
WEB_COPY_SALT = "newsletter.web-copy"


class ExpiredToken(InvalidToken):
    def __init__(self, subscriber_id: int) -> None:
        super().__init__("This link has expired.")
        self.subscriber_id = subscriber_id


class Tokens:
    def __init__(self, secret_key: str) -> None:
        self._plain = {
            p: URLSafeSerializer(secret_key, salt=f"newsletter.{p}")
            for p in (Purpose.PREFERENCES, Purpose.UNSUBSCRIBE)
        }
        self._confirm = URLSafeTimedSerializer(secret_key, salt=f"newsletter.{Purpose.CONFIRM}")
        self._web_copy = URLSafeSerializer(secret_key, salt=WEB_COPY_SALT)

    def make_web_copy(self, edition_id: int, mask: int) -> str:
        """A "View in browser" token: which edition and which of its items, nothing about who
        the reader is, so a forwarded link can neither unsubscribe nor change preferences."""
        return self._web_copy.dumps([edition_id, mask])

    def read_web_copy(self, token: str) -> tuple[int, int]:
        try:
            value = self._web_copy.loads(token)
        except (BadSignature, ValueError, TypeError) as exc:
            raise InvalidToken("This link is not valid.") from exc
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
                or value[0] <= 0 or not 0 <= value[1] < 2**63):
            raise InvalidToken("This link is not valid.")
        return value[0], value[1]

    def make(self, purpose: Purpose, subscriber_id: int) -> str:
        if purpose == Purpose.CONFIRM:
            return self._confirm.dumps(subscriber_id)
        return self._plain[purpose].dumps(subscriber_id)

    def read(self, purpose: Purpose, token: str) -> int:
        """The subscriber id, or InvalidToken (ExpiredToken for an old confirm link)."""
        try:
            if purpose == Purpose.CONFIRM:
                value = self._confirm.loads(token, max_age=CONFIRM_MAX_AGE)
            else:
                value = self._plain[purpose].loads(token)
        except SignatureExpired as exc:
            payload = exc.payload
            sid = self._confirm.load_payload(payload) if payload is not None else None
            if isinstance(sid, int):
                raise ExpiredToken(sid) from exc
            raise InvalidToken("This link is not valid.") from exc
        except (BadSignature, ValueError, TypeError) as exc:
            raise InvalidToken("This link is not valid.") from exc
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise InvalidToken("This link is not valid.")
        return value
