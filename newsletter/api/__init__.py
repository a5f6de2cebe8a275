"""JSON API under /api/v1, bearer-token auth, JSON errors only."""

from __future__ import annotations

from flask import Blueprint, Flask, g, jsonify, request

from ..accounts.service import editor_for_token
from ..extensions import csrf
from ..web.db import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC = {"api.openapi"}


@bp.before_request
def authenticate():  # type: ignore[no-untyped-def]
    if request.endpoint in PUBLIC:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    editor = editor_for_token(db(), token.strip()) if scheme.lower() == "bearer" else None
    if editor is None:
        response = jsonify({"error": "A valid API token is required (Authorization: Bearer …)."})
        response.headers["WWW-Authenticate"] = 'Bearer realm="newsletter"'
        return response, 401
    db().commit()  # last_used_at
    g.editor = editor
    return None


def json_body() -> object:
    data = request.get_json(silent=True)
    if data is None:
        from ..errors import BadRequest

        raise BadRequest("Send a JSON body with Content-Type: application/json.")
    return data


def init_app(app: Flask) -> None:
    from . import bounces, editions, feeds, openapi, stats, topics, webhooks  # noqa: F401

    csrf.exempt(bp)
    app.register_blueprint(bp)
