"""Editions over JSON: create (send now or later), status, pause / resume / cancel."""

from __future__ import annotations

from flask import g, jsonify

from ..delivery import lifecycle
from ..delivery.jobs import resume_edition
from ..editorial import editions as edition_service
from ..editorial import scheduling
from ..errors import ValidationError
from ..web.db import db, runtime
from . import bp, json_body


@bp.post("/editions")
def create_edition():  # type: ignore[no-untyped-def]
    data = json_body()
    if not isinstance(data, dict):
        raise ValidationError("Body must be a JSON object.")
    session = db()
    send_at = data.get("send_at")
    plan = scheduling.plan_edition(
        session, update_ids=data.get("update_ids"), send_at=send_at,
        timezone=data.get("timezone") or "UTC", subject=data.get("subject"),
        send_now=send_at is None or send_at == "",  # null or absent: now
        delivery=data.get("delivery"), local_time=data.get("local_time"),
        late_readers=data.get("late_readers"), list_timezone=runtime().settings.list_timezone,
    )
    edition = scheduling.schedule_edition(session, runtime(), plan, g.editor)
    return jsonify({"id": edition.id}), 201


@bp.get("/editions/<int:edition_id>")
def edition_status(edition_id: int):  # type: ignore[no-untyped-def]
    return jsonify(edition_service.edition_status(db(), edition_id))


@bp.post("/editions/<int:edition_id>/pause")
def pause(edition_id: int):  # type: ignore[no-untyped-def]
    session = db()
    lifecycle.pause(session, edition_id, reason="paused by an editor")
    session.commit()
    return jsonify(edition_service.edition_status(session, edition_id))


@bp.post("/editions/<int:edition_id>/resume")
def resume(edition_id: int):  # type: ignore[no-untyped-def]
    resume_edition(runtime(), edition_id)
    return jsonify(edition_service.edition_status(db(), edition_id))


@bp.post("/editions/<int:edition_id>/cancel")
def cancel(edition_id: int):  # type: ignore[no-untyped-def]
    session = db()
    lifecycle.cancel(session, edition_id)
    session.commit()
    return jsonify(edition_service.edition_status(session, edition_id))
