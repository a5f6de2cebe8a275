"""Topics and topic updates over JSON."""

from __future__ import annotations

from flask import g, jsonify

from ..editorial import topics as topic_service
from ..editorial import updates as update_service
from ..errors import ValidationError
from ..web.db import db
from . import bp, json_body


@bp.get("/topics")
def list_topics():  # type: ignore[no-untyped-def]
    return jsonify([
        {"slug": t.slug, "name": t.name, "description": t.description}
        for t in topic_service.list_topics(db())
    ])


@bp.post("/topics")
def create_topic():  # type: ignore[no-untyped-def]
    data = json_body()
    if not isinstance(data, dict):
        raise ValidationError("Body must be a JSON object.")
    public = data.get("public", True)
    if not isinstance(public, bool):
        raise ValidationError("public must be true or false.", field="public")
    session = db()
    topic = topic_service.create_topic(
        session, data.get("slug"), data.get("name"), data.get("description", ""), public=public
    )
    session.commit()
    return jsonify({"slug": topic.slug, "name": topic.name,
                    "description": topic.description, "public": topic.public}), 201


@bp.post("/topics/<slug>/updates")
def create_update(slug: str):  # type: ignore[no-untyped-def]
    session = db()
    update = update_service.create_update(
        session, slug, update_service.UpdateInput.from_json(json_body()), g.editor
    )
    session.commit()
    return jsonify({"id": update.id}), 201
