"""Feed pages: per-topic feed list with fetch health, add, poll now (with progress), OPML,
and the article inbox where editors split and merge story groups."""

from __future__ import annotations

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, URLField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..editorial.topics import get_topic, list_topics, slug_of
from ..errors import NewsletterError, ValidationError
from ..feeds import catalog, grouping, inbox, locks, opml, scheduler
from ..feeds.catalog import DEFAULT_POLL_MINUTES, MAX_POLL_MINUTES, MIN_POLL_MINUTES
from ..models import Feed
from ..web.db import db, runtime
from . import bp
from .forms import is_id


class FeedForm(FlaskForm):
    url = URLField("Feed URL", validators=[InputRequired(), Length(max=2000)])
    poll_minutes = IntegerField("Poll every (minutes)", default=DEFAULT_POLL_MINUTES, validators=[
        Optional(), NumberRange(MIN_POLL_MINUTES, MAX_POLL_MINUTES)])


class OpmlForm(FlaskForm):
    opml = FileField("OPML file")


def _allow_private() -> bool:
    return runtime().settings.feeds_allow_private


def _feed_state(feed: Feed) -> dict[str, object]:
    def when(value):  # type: ignore[no-untyped-def]
        return value.isoformat().replace("+00:00", "Z") if value else None

    return {"id": feed.id, "status": feed.status, "disabled": feed.disabled,
            "last_fetched_at": when(feed.last_fetched_at), "entries_found": feed.entries_found,
            "failures": feed.failures, "last_error": feed.last_error,
            "next_poll_at": when(feed.next_poll_at)}


def _render_feeds(slug: str, form: FeedForm | None = None, error: NewsletterError | None = None,
                  status: int = 200):  # type: ignore[no-untyped-def]
    session = db()
    topic = get_topic(session, slug)
    feeds = catalog.list_feeds(session, slug)
    counts = catalog.articles_per_feed(session, topic.id)
    progress = {f.id: locks.get_progress(runtime().redis, f.id) for f in feeds}
    return render_template("admin/feeds.html", topic=topic, feeds=feeds, counts=counts,
                           progress=progress, form=form or FeedForm(), opml_form=OpmlForm(),
                           error=error), status


@bp.get("/feeds")
def feeds_index():  # type: ignore[no-untyped-def]
    session = db()
    return render_template("admin/feeds_index.html", topics=list_topics(session),
                           counts=catalog.feeds_per_topic(session),
                           broken=catalog.feeds_per_topic(session, failing=True))


@bp.get("/topics/<slug>/feeds")
def feeds_topic(slug: str):  # type: ignore[no-untyped-def]
    return _render_feeds(slug)


@bp.post("/topics/<slug>/feeds")
def feeds_add(slug: str):  # type: ignore[no-untyped-def]
    form = FeedForm()
    session = db()
    get_topic(session, slug)
    if not form.validate_on_submit():
        field, messages = next(iter(form.errors.items()))
        message = messages[0] if isinstance(messages, list) else str(messages)
        return _render_feeds(slug, form, ValidationError(f"{form[field].label.text}: {message}",
                                                         field=field), 422)
    try:
        feed = catalog.add_feed(session, slug, form.url.data, form.poll_minutes.data,
                                allow_private=_allow_private())
        session.commit()
    except NewsletterError as exc:
        session.rollback()
        return _render_feeds(slug, form, exc, exc.status_code)
    scheduler.enqueue_poll(runtime(), feed.id)
    flash("Feed added; its first poll is queued.", "success")
    return redirect(url_for("admin.feeds_topic", slug=slug))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/feeds/<int:feed_id>/poll")
def feeds_poll(feed_id: int):  # type: ignore[no-untyped-def]
    feed = catalog.get_feed(db(), feed_id)
    slug = slug_of(db(), feed.topic_id)
    queued = scheduler.enqueue_poll(runtime(), feed_id)
    if _wants_json():
        return jsonify({"queued": queued, **locks.get_progress(runtime().redis, feed_id)}), 202
    flash("Poll queued." if queued else "This feed is already being polled.", "success")
    return redirect(url_for("admin.feeds_topic", slug=slug))


@bp.get("/feeds/<int:feed_id>/status.json")
def feeds_status(feed_id: int):  # type: ignore[no-untyped-def]
    feed = catalog.get_feed(db(), feed_id)
    return jsonify({**locks.get_progress(runtime().redis, feed_id), "feed": _feed_state(feed)})


@bp.post("/feeds/<int:feed_id>/enable")
def feeds_enable(feed_id: int):  # type: ignore[no-untyped-def]
    session = db()
    feed = catalog.enable_feed(session, feed_id)
    slug = slug_of(db(), feed.topic_id)
    session.commit()
    flash("Feed enabled; it will be polled on the next round.", "success")
    return redirect(url_for("admin.feeds_topic", slug=slug))


@bp.post("/feeds/<int:feed_id>/delete")
def feeds_delete(feed_id: int):  # type: ignore[no-untyped-def]
    session = db()
    slug = slug_of(db(), catalog.get_feed(session, feed_id).topic_id)
    catalog.delete_feed(session, feed_id)
    session.commit()
    flash("Feed removed. Its articles stay in the inbox.", "success")
    return redirect(url_for("admin.feeds_topic", slug=slug))


@bp.post("/topics/<slug>/feeds/import")
def feeds_import(slug: str):  # type: ignore[no-untyped-def]
    form = OpmlForm()
    session = db()
    get_topic(session, slug)
    upload = request.files.get("opml")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        return _render_feeds(slug, error=ValidationError("Choose an OPML file to import.",
                                                         field="opml"), status=422)
    try:
        result = opml.import_opml(session, slug, upload.read(opml.MAX_BYTES + 1),
                                  allow_private=_allow_private())
        session.commit()
    except NewsletterError as exc:
        session.rollback()
        return _render_feeds(slug, error=exc, status=exc.status_code)
    flash(f"Imported {result.added} feeds, skipped {result.skipped}.", "success")
    for line in result.errors[:10]:
        flash(line, "error")
    return redirect(url_for("admin.feeds_topic", slug=slug))


@bp.get("/topics/<slug>/feeds.opml")
def feeds_export(slug: str):  # type: ignore[no-untyped-def]
    body = opml.export_opml(db(), slug)
    return Response(body, mimetype="text/x-opml", headers={
        "Content-Disposition": f'attachment; filename="{slug}-feeds.opml"'})


@bp.get("/topics/<slug>/articles")
def feeds_inbox(slug: str):  # type: ignore[no-untyped-def]
    session = db()
    topic = get_topic(session, slug)
    views = inbox.stories(session, slug, limit=100)
    loose = inbox.loose_articles(session, topic.id, limit=100)
    return render_template("admin/feeds_inbox.html", topic=topic, stories=views, loose=loose)


def _form_int(name: str) -> int:
    raw = request.form.get(name, "").strip()
    if not is_id(raw):
        raise ValidationError(f"Choose a {name} story.", field=name)
    return int(raw)


@bp.post("/articles/<int:article_id>/split")
def feeds_split(article_id: int):  # type: ignore[no-untyped-def]
    session = db()
    story = grouping.split_article(session, article_id)
    slug = slug_of(db(), story.topic_id)
    session.commit()
    flash("Article moved to a story of its own.", "success")
    return redirect(url_for("admin.feeds_inbox", slug=slug) + f"#story-{story.id}")


@bp.post("/topics/<slug>/stories/merge")
def feeds_merge(slug: str):  # type: ignore[no-untyped-def]
    session = db()
    topic = get_topic(session, slug)
    target, source = _form_int("target"), _form_int("source")
    story = grouping.merge_stories(session, target, source)
    if story.topic_id != topic.id:
        session.rollback()
        raise ValidationError("That story belongs to another topic.")
    session.commit()
    flash("Stories merged.", "success")
    return redirect(url_for("admin.feeds_inbox", slug=slug) + f"#story-{story.id}")
