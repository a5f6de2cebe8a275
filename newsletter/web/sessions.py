"""Flask's cookie sessions with the signing serializer built once per key set.

Flask builds an itsdangerous serializer for every request, cookie or not (a tenth of the
CPU of a tracked-link redirect in `bench/web_cpu.py`). The serializer holds no
per-request state, so one per (secret key, fallbacks) serves every request; a changed
key still takes effect at once, since it is part of the cache key.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple[object, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        found = self._serializers.get(key)
        if found is None:
            found = super().get_signing_serializer(app)
            if found is None:
                return None
            self._serializers = {key: found}  # one key set in use at a time
        return found


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
