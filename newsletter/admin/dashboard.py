"""The editors' home: subscriber numbers, last and next editions, feeds in error, next steps."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from ..bounces.health import list_health
from ..editorial.overview import overview
from ..editorial.topics import list_topics
from ..models import Edition, EditionKind
from ..subscribers.service import count_by_topic
from ..web.db import db
from . import bp


@bp.get("/")
def dashboard():  # type: ignore[no-untyped-def]
    session = db()
    editions = list(session.scalars(select(Edition).where(Edition.kind == EditionKind.EDITION)
                                    .order_by(Edition.created_at.desc()).limit(20)))
    return render_template(
        "admin/dashboard.html", editions=editions, topics=list_topics(session),
        counts=count_by_topic(session), overview=overview(session), health=list_health(session),
    )
