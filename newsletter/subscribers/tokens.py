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
