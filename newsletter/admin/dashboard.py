"""The editors' home: subscriber numbers, last and next editions, feeds in error, next steps."""

from __future__ import annotations

from flask import render_template

from ..bounces.health import list_health
from ..editorial.overview import overview
from ..editorial.topics import list_topics
from ..subscribers.service import count_by_topic
from ..web.db import db
from . import bp


@bp.get("/")
def dashboard():  # type: ignore[no-untyped-def]
    session = db()
    summary = overview(session)
    return render_template(
        "admin/dashboard.html", editions=summary.recent_editions, topics=list_topics(session),
        counts=count_by_topic(session), overview=summary, health=list_health(session),
    )
