"""Feeds, articles and stories over JSON."""

from __future__ import annotations

from flask import jsonify, request

from ..editorial.text import outlets_line
from ..errors import Conflict, ValidationError
from ..feeds import catalog, inbox
from ..feeds.jobs import locked_poll
from ..web.db import db, runtime
from . import bp, json_body


@bp.post("/topics/<slug>/feeds")
def add_feed(slug: str):  # type: ignore[no-untyped-def]
    data = json_body()
    if not isinstance(data, dict):
        raise ValidationError("Body must be a JSON object.")
    session = db()
    feed = catalog.add_feed(session, slug, data.get("url"),
                            data.get("poll_minutes"),
                            allow_private=runtime().settings.feeds_allow_private)
    session.commit()
    return jsonify({"id": feed.id}), 201


@bp.post("/feeds/<int:feed_id>/poll")
def poll_feed(feed_id: int):  # type: ignore[no-untyped-def]
    catalog.get_feed(db(), feed_id)
    db().rollback()
    result = locked_poll(runtime(), feed_id)
    if result is None:
        raise Conflict("This feed is being polled right now; try again in a moment.")
    return jsonify({"status": str(result.status), "new": result.new, "updated": result.updated,
                    "error": result.error})


@bp.get("/topics/<slug>/articles")
def list_articles(slug: str):  # type: ignore[no-untyped-def]
    articles = inbox.recent_articles(db(), slug, inbox.clamp_limit(request.args.get("limit")))
    return jsonify([{
        "id": a.id, "url": a.url, "title": a.title, "outlet": a.outlet, "summary": a.summary,
        "published_at": a.published_at.isoformat().replace("+00:00", "Z"),
        "reading_minutes": a.reading_minutes, "story_id": a.story_id,
        "image_url": a.image_url,
    } for a in articles])


@bp.get("/topics/<slug>/stories")
def list_stories(slug: str):  # type: ignore[no-untyped-def]
    views = inbox.stories(db(), slug, inbox.clamp_limit(request.args.get("limit"), 50))
    return jsonify([{
        "id": s.id, "headline": s.headline, "article_count": s.article_count,
        "outlets": s.outlets, "outlets_line": outlets_line(s.outlets),
        "locked": s.locked,
    } for s in views])
