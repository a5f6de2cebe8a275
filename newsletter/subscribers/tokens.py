"""Signed, purpose-bound links for subscribers (itsdangerous).

The purpose is the signing salt, so a confirm token can never unsubscribe and vice versa.
Unsubscribe and preference links do not expire by age: an old email must still let people
leave. They can be revoked instead: each token carries the subscriber's `token_version`,
and raising that number (an admin action) makes every link sent so far stop working.
Version 0 is written as the bare id, so links sent before versions existed stay valid.

The "undo" token is the exception: it is shown once, right after unsubscribing, lasts a
day and names the unsubscribe it can undo, so it works once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from ..errors import InvalidToken

CONFIRM_MAX_AGE = 7 * 24 * 3600
UNDO_MAX_AGE = 24 * 3600
_NOT_VALID = "This link is not valid."


class Purpose(StrEnum):
    """What a link in an email does (each its own URL)."""

    CONFIRM = "confirm"
    PREFERENCES = "preferences"
    UNSUBSCRIBE = "unsubscribe"


UNDO = "undo"  # the salt of the undo token: a form field, never a link in an email


class Claim(NamedTuple):
    """What a token says: whose it is, which link generation, and (undo only) which unsubscribe."""

    subscriber_id: int
    version: int = 0
    stamp: int | None = None


# "View in browser" tokens name an edition and its items, not a subscriber: their own salt.
WEB_COPY_SALT = "newsletter.web-copy"


class ExpiredToken(InvalidToken):
    def __init__(self, subscriber_id: int) -> None:
        super().__init__("This link has expired.")
        self.subscriber_id = subscriber_id


class RevokedToken(InvalidToken):
    """A well-signed link from an older generation: the reader's links were revoked."""

    status_code = 410

    def __init__(self) -> None:
        super().__init__("This link is no longer valid. Use the links in the latest email from "
                         "us, or sign up again.")


_TIMED = {Purpose.CONFIRM: CONFIRM_MAX_AGE, UNDO: UNDO_MAX_AGE}


def payload(subscriber_id: int, version: int = 0, stamp: int | None = None) -> int | list[int]:
    """The signed value: the bare id for version 0 (the format of every older link)."""
    if stamp is not None:
        return [subscriber_id, version, stamp]
    return [subscriber_id, version] if version else subscriber_id


def _claim(value: object) -> Claim:
    parts = value if isinstance(value, list) and len(value) in (2, 3) else [value]
    if not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in parts):
        raise InvalidToken(_NOT_VALID)
    claim = Claim(*parts)  # type: ignore[arg-type]
    if claim.subscriber_id <= 0:
        raise InvalidToken(_NOT_VALID)
    return claim


class Tokens:
    def __init__(self, secret_key: str) -> None:
        self._serializers: dict[str, URLSafeSerializer] = {
            p: (URLSafeTimedSerializer if p in _TIMED else URLSafeSerializer)(
                secret_key, salt=f"newsletter.{p}")
            for p in [*Purpose, UNDO]
        }
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

    def make(self, purpose: Purpose, subscriber_id: int, version: int = 0) -> str:
        return self._serializers[purpose].dumps(payload(subscriber_id, version))

    def make_undo(self, subscriber_id: int, version: int, stamp: int) -> str:
        """The one-day token that can undo the unsubscribe made at `stamp`."""
        return self._serializers[UNDO].dumps(payload(subscriber_id, version, stamp))

    def claim(self, purpose: str, token: str) -> Claim:
        """Who the token is for, or InvalidToken (ExpiredToken for an old confirm/undo link).

        The version is not compared here (that needs the database): see service.token_holder.
        """
        serializer = self._serializers[purpose]
        try:
            if purpose in _TIMED:
                value = serializer.loads(token, max_age=_TIMED[purpose])  # type: ignore[call-arg]
            else:
                value = serializer.loads(token)
        except SignatureExpired as exc:
            try:
                sid = _claim(serializer.load_payload(exc.payload)).subscriber_id \
                    if exc.payload is not None else None
            except (InvalidToken, BadSignature, ValueError, TypeError):
                sid = None
            if sid is not None:
                raise ExpiredToken(sid) from exc
            raise InvalidToken(_NOT_VALID) from exc
        except (BadSignature, ValueError, TypeError) as exc:
            raise InvalidToken(_NOT_VALID) from exc
        claim = _claim(value)
        if (claim.stamp is None) == (purpose == UNDO):
            raise InvalidToken(_NOT_VALID)
        return claim

    def read(self, purpose: Purpose, token: str) -> int:
        """The subscriber id only (signature and age checked, revocation not)."""
        return self.claim(purpose, token).subscriber_id
