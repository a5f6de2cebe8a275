"""The update composer: write a topic update in the briefing format, with a live preview.

Works as a plain form (one bullet per line in a textarea); static/admin.js upgrades
the bullet lists to add / remove / reorder rows and refreshes the preview as you type.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..editorial import composer
from ..editorial import updates as service
from ..editorial.text import outlets_line
from ..editorial.topics import find_topic, get_topic, list_topics
from ..errors import NewsletterError, ValidationError
from ..feeds import inbox
from ..models import Topic, TopicUpdate, UpdateStatus
from ..web.db import db, runtime
from . import bp
from .forms import int_list, is_id, lines, optional_int, text
from .preview import email_response

SOURCE_FIELDS = ("url", "title", "outlet", "image_url", "minutes", "article_id")
BLANK_ROWS = 2


def _source_rows() -> list[composer.SourceRow]:
    columns = {f: request.form.getlist(f"source_{f}") for f in SOURCE_FIELDS}
    count = max((len(v) for v in columns.values()), default=0)
    if count > composer.MAX_SOURCES + BLANK_ROWS:
        raise ValidationError("Too many source rows.", field="sources")
    return [composer.SourceRow(**{f: (columns[f][i] if i < len(columns[f]) else "")
                                  for f in SOURCE_FIELDS}) for i in range(count)]


def _status() -> str:
    status = request.form.get("status", UpdateStatus.DRAFT)
    if status not in set(UpdateStatus):
        raise ValidationError("Status must be draft or published.", field="status")
    return status


def update_input(topic: Topic) -> service.UpdateInput:
    """The composer form as the same UpdateInput the JSON API builds."""
    sources, featured = composer.build_sources(
        db(), topic, _source_rows(), int_list("articles"), request.form.get("featured", "")
    )
    return service.UpdateInput(
        headline=text("headline"),
        lede=text("lede"),
        bullets=lines("bullets"),
        background=lines("background"),
        sources=sources,
        featured=featured,
        article_count=optional_int("article_count", low=0, high=100000,
                                   label="Articles on this topic"),
        status=_status(),
    )


def _rows_from_update(update: TopicUpdate | None) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    if update is not None:
        rows = [{"url": s.url, "title": s.title, "outlet": s.outlet, "image_url": s.image_url or "",
                 "minutes": s.reading_minutes, "article_id": s.article_id or "",
                 "featured": update.featured_index == i} for i, s in enumerate(update.sources)]
    return rows


def _rows_from_form() -> list[dict[str, object]]:
    featured = request.form.get("featured", "")
    rows = [dict(vars(r)) | {"featured": featured == f"row:{i}"}
            for i, r in enumerate(_safe_rows()) if not r.blank]
    return rows


def _safe_rows() -> list[composer.SourceRow]:
    try:
        return _source_rows()
    except ValidationError:
        return []


def _composer(topic: Topic, update: TopicUpdate | None = None,
              error: NewsletterError | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    session = db()
    posted = request.method == "POST"
    if posted:
        values = {
            "headline": text("headline"), "lede": text("lede"),
            "bullets": "\n".join(lines("bullets")), "background": "\n".join(lines("background")),
            "article_count": text("article_count"), "status": request.form.get("status", "draft"),
        }
        rows = _rows_from_form()
        picked = {int(i) for i in request.form.getlist("articles") if is_id(i)}
        featured = request.form.get("featured", "")
    else:
        values = {
            "headline": update.headline if update else "",
            "lede": update.lede if update else "",
            "bullets": "\n".join(update.bullets) if update else "",
            "background": "\n".join(update.background) if update else "",
            "article_count": update.article_count if update and update.article_count is not None
            else "",
            "status": update.status if update else UpdateStatus.DRAFT,
        }
        rows = _rows_from_update(update)
        picked = _picked_from_link(session, topic)
        featured = f"row:{update.featured_index}" if update and update.featured_index is not None \
            else ""
    outlets = [str(r["outlet"]) for r in rows if r.get("outlet")]
    return render_template(
        "admin/composer.html", topic=topic, update=update, values=values, rows=rows,
        blank_rows=BLANK_ROWS, picked=picked, featured=featured, error=error,
        inbox=composer.inbox(session, topic), outlets=outlets_line(outlets),
        source_count=len(rows),
    ), status


def _picked_from_link(session, topic: Topic) -> set[int]:  # type: ignore[no-untyped-def]
    """`?articles=ID&articles=ID` or `?story=ID` (from the inbox) pre-checks those articles."""
    picked = {int(i) for i in request.args.getlist("articles")[:50] if is_id(i)}
    story = request.args.get("story", "")
    if is_id(story):
        picked |= inbox.story_article_ids(session, topic.id, int(story), limit=50)
    return picked


@bp.get("/updates")
def updates():  # type: ignore[no-untyped-def]
    session = db()
    slug = request.args.get("topic") or None
    return render_template(
        "admin/updates.html", updates=service.list_updates(session, slug)[:200],
        topics=list_topics(session), topic_slug=slug,
    )


@bp.get("/topics/<slug>/updates/new")
def updates_new(slug: str):  # type: ignore[no-untyped-def]
    return _composer(get_topic(db(), slug))


@bp.post("/topics/<slug>/updates/new")
def updates_create(slug: str):  # type: ignore[no-untyped-def]
    session = db()
    topic = get_topic(session, slug)
    try:
        update = service.create_update(session, slug, update_input(topic), current_user)
        session.commit()
    except NewsletterError as exc:
        session.rollback()
        return _composer(topic, None, exc, exc.status_code)
    flash(f"Update “{update.headline}” saved as {update.status}.", "success")
    return redirect(url_for("admin.updates_edit", update_id=update.id))


@bp.get("/updates/<int:update_id>/edit")
def updates_edit(update_id: int):  # type: ignore[no-untyped-def]
    update = service.get_update(db(), update_id)
    return _composer(update.topic, update)


@bp.post("/updates/<int:update_id>/edit")
def updates_save(update_id: int):  # type: ignore[no-untyped-def]
    session = db()
    update = service.get_update(session, update_id)
    topic = update.topic
    try:
        service.edit_update(session, update_id, update_input(topic), current_user)
        session.commit()
    except NewsletterError as exc:
        session.rollback()
        update = service.get_update(session, update_id)
        return _composer(topic, update, exc, exc.status_code)
    flash(f"Update “{update.headline}” saved as {update.status}.", "success")
    return redirect(url_for("admin.updates_edit", update_id=update.id))


@bp.post("/topics/<slug>/updates/preview")
def updates_preview(slug: str) -> Response:
    """The composer form rendered as the topic block of an email (shown in an iframe)."""
    session = db()
    topic = find_topic(session, slug)
    if topic is None:
        return email_response(_notice("This topic does not exist."), 404)
    settings = runtime().settings
    try:
        html = composer.preview_html(session, topic, update_input(topic), current_user,
                                     list_name=settings.list_name, base_url=settings.base_url)
    except NewsletterError as exc:
        return email_response(_notice(exc.message), exc.status_code)
    finally:
        session.rollback()  # the preview never writes
    return email_response(html)


def _notice(message: str) -> str:
    return render_template("admin/preview_notice.html", message=message)
