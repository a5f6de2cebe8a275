"""Topics: list with subscriber counts, create, edit, archive and restore."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..editorial import topics as service
from ..editorial.updates import published_per_topic
from ..errors import NewsletterError
from ..subscribers.service import count_by_topic
from ..web.db import db
from . import bp
from .forms import text


@bp.get("/topics")
def topics():  # type: ignore[no-untyped-def]
    session = db()
    return render_template(
        "admin/topics.html", topics=service.list_topics(session, include_archived=True),
        counts=count_by_topic(session), updates=published_per_topic(session),
    )


def _form(topic=None, error: NewsletterError | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    values = request.form if request.method == "POST" else {
        "slug": topic.slug if topic else "", "name": topic.name if topic else "",
        "description": topic.description if topic else "",
        "public": "1" if topic is None or topic.public else "",
    }
    return render_template("admin/topic_form.html", topic=topic, values=values, error=error), status


@bp.get("/topics/new")
def topics_new():  # type: ignore[no-untyped-def]
    return _form()


@bp.post("/topics/new")
def topics_create():  # type: ignore[no-untyped-def]
    session = db()
    try:
        topic = service.create_topic(session, text("slug"), text("name"), text("description"),
                                     public=bool(text("public")))
        session.commit()
    except NewsletterError as exc:
        session.rollback()
        return _form(error=exc, status=exc.status_code)
    flash(f"Topic “{topic.name}” created.", "success")
    return redirect(url_for("admin.topics"))


@bp.get("/topics/<slug>/edit")
def topics_edit(slug: str):  # type: ignore[no-untyped-def]
    return _form(service.get_topic(db(), slug))


@bp.post("/topics/<slug>/edit")
def topics_save(slug: str):  # type: ignore[no-untyped-def]
    session = db()
    topic = service.get_topic(session, slug)
    try:
        service.update_topic(session, slug, text("name"), text("description"),
                             public=bool(text("public")))
        session.commit()
    except NewsletterError as exc:
        session.rollback()
        return _form(topic, exc, exc.status_code)
    flash(f"Topic “{topic.name}” saved.", "success")
    return redirect(url_for("admin.topics"))


@bp.post("/topics/<slug>/archive")
def topics_archive(slug: str):  # type: ignore[no-untyped-def]
    session = db()
    topic = service.archive_topic(session, slug)
    session.commit()
    flash(f"Topic “{topic.name}” archived: it no longer shows on the sign-up page.", "success")
    return redirect(url_for("admin.topics"))


@bp.post("/topics/<slug>/restore")
def topics_restore(slug: str):  # type: ignore[no-untyped-def]
    session = db()
    topic = service.restore_topic(session, slug)
    session.commit()
    flash(f"Topic “{topic.name}” is back on the sign-up page.", "success")
    return redirect(url_for("admin.topics"))
