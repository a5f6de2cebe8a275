"""Webhook endpoints over JSON: register, list (with the last answer), remove. Admins only:
an endpoint receives readers' addresses, so who may add one is the admin's call."""

from __future__ import annotations

from flask import g, jsonify

from ..errors import Forbidden, ValidationError
from ..web.db import db, runtime
from ..webhooks import endpoints
from . import bp, json_body


def _admins_only() -> None:
    if not g.editor.is_admin:
        raise Forbidden("Only admins may manage webhooks.")


@bp.post("/webhooks")
def create_webhook():  # type: ignore[no-untyped-def]
    _admins_only()
    data = json_body()
    if not isinstance(data, dict):
        raise ValidationError("Body must be a JSON object.")
    session = db()
    endpoint = endpoints.register(session, data.get("url"), data.get("events"),
                                  data.get("secret"),
                                  allow_private=runtime().settings.feeds_allow_private)
    session.commit()
    return jsonify({"id": endpoint.id}), 201


@bp.get("/webhooks")
def list_webhooks():  # type: ignore[no-untyped-def]
    _admins_only()
    def last(view: endpoints.EndpointView) -> dict[str, object] | None:
        if not view.recent:
            return None
        c = view.recent[0]
        return {"event": c.event, "status": c.status, "attempts": c.attempts,
                "status_code": c.last_status_code, "error": c.last_error,
                "at": c.last_attempt_at.isoformat().replace("+00:00", "Z")
                if c.last_attempt_at else None}

    return jsonify([{"id": v.endpoint.id, "url": v.endpoint.url, "events": v.endpoint.event_list,
                     "disabled": v.endpoint.disabled_at is not None,
                     "disabled_reason": v.endpoint.disabled_reason or None,
                     "last_call": last(v)} for v in endpoints.overview(db(), recent=1)])


@bp.delete("/webhooks/<int:endpoint_id>")
def delete_webhook(endpoint_id: int):  # type: ignore[no-untyped-def]
    _admins_only()
    session = db()
    endpoints.remove(session, endpoint_id)
    session.commit()
    return "", 204
