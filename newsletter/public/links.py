"""What the public views share: the link tokens of a request and a plain HTML answer."""

from __future__ import annotations

import functools

from flask import Response

from ..subscribers import access
from ..subscribers.tokens import Purpose, Tokens
from ..web.db import db, runtime


def tokens() -> Tokens:
    return _tokens(runtime().settings.secret_key)


@functools.lru_cache(maxsize=8)
def _tokens(secret_key: str) -> Tokens:
    """One set of serializers per secret key: building them is a fifth of a one-click POST's
    CPU, and they hold no per-request state."""
    return Tokens(secret_key)


def subscriber_id_of(purpose: Purpose, token: str) -> int:
    """The id of the subscriber this link is for, if it is valid and not revoked."""
    return access.open_link(db(), tokens(), purpose, token).id


def link_token(purpose: Purpose, subscriber) -> str:  # type: ignore[no-untyped-def]
    """A link of the subscriber's current generation, for the pages that link onwards."""
    return tokens().make(purpose, subscriber.id, subscriber.token_version)


def html(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/html")
