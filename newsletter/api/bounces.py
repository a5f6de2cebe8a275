"""POST /api/v1/bounces: a returned message as the body, classified, stored and acted on."""

from __future__ import annotations

from flask import jsonify, request

from ..bounces.intake import take_in
from ..errors import BadRequest
from ..web.db import db, runtime
from . import bp

MAX_MESSAGE = 50 * 1024 * 1024


@bp.post("/bounces")
def receive_bounce():  # type: ignore[no-untyped-def]
    kind = (request.mimetype or "").lower()
    if kind not in ("message/rfc822", "message/global"):  # RFC 6532 for UTF-8 headers
        return jsonify({"error": "Send the returned message as the body with "
                                 "Content-Type: message/rfc822."}), 415
    request.max_content_length = MAX_MESSAGE  # a bounce may carry a large original
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise BadRequest("The body is empty: send the returned message.")
    session = db()
    result = take_in(session, runtime().settings, raw, "api")
    session.commit()
    return jsonify(result.as_dict()), 200 if result.duplicate else 201
