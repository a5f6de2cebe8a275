"""A reader's own pages, opened by their signed links: confirm, preferences, pause and
resume, export and erase."""

from __future__ import annotations

import json

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError

from ..delivery.jobs import welcome_after_confirm
from ..editorial.topics import list_topics
from ..errors import ValidationError
from ..models import SubscriberStatus
from ..subscribers import access, outbox, service, timing
from ..subscribers.catalog import load_cards
from ..subscribers.forms import (
    ActionForm,
    EraseForm,
    PauseForm,
    PreferencesForm,
    topic_choices,
)
from ..subscribers.jobs import (
    kick,
    send_outgoing_mail,
)
from ..subscribers.schedule import next_briefing
from ..subscribers.tokens import ExpiredToken, Purpose
from ..web.db import db, runtime
from . import bp
from .links import link_token, subscriber_id_of, tokens


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):  # type: ignore[no-untyped-def]
    session = db()
    try:
        subscriber = access.open_link(session, tokens(), Purpose.CONFIRM, token)
    except ExpiredToken as exc:
        return _expired(exc.subscriber_id)
    subscriber_id = subscriber.id
    form = ActionForm()
    if request.method == "GET":
        already = subscriber.status in (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED)
        return render_template(
            "confirm.html", form=form, already=already,
            preferences_token=link_token(Purpose.PREFERENCES, subscriber),
        )
    if not form.validate_on_submit():
        raise CSRFError()
    service.confirm(session, subscriber_id, list_zone=runtime().settings.list_timezone)
    session.commit()
    welcome_after_confirm(runtime(), subscriber_id)
    flash("Your subscription is confirmed. Welcome!", "success")
    return redirect(url_for("public.preferences",
                            token=link_token(Purpose.PREFERENCES, subscriber)))


def _expired(subscriber_id: int):  # type: ignore[no-untyped-def]
    """An old confirm link: offer a fresh email instead of a dead end."""
    form = ActionForm()
    if request.method == "GET":
        return render_template("expired.html", form=form, sent=False), 410
    if not form.validate_on_submit():
        raise CSRFError()
    session = db()
    mail = service.request_confirmation(session, subscriber_id)
    if mail is service.MailToSend.CONFIRM:
        outbox.add(session, subscriber_id, mail.value)
    session.commit()
    if mail is service.MailToSend.CONFIRM:
        kick(runtime(), send_outgoing_mail)
    # The same answer whether or not a mail went out (erased, already active, throttled).
    return render_template("expired.html", form=form, sent=True)


@bp.route("/preferences/<token>", methods=["GET", "POST"])
def preferences(token: str):  # type: ignore[no-untyped-def]
    """Topics, and when and how often briefings come (zone, cadence, hour, weekday).

    The page has a form for each; a POST saves the topics unless it carries only timing
    fields (so the timing form, or a client sending just `cadence`, never unticks topics),
    and saves the timing fields it carries. Every value is checked before anything is saved.
    """
    session = db()
    subscriber = access.open_link(session, tokens(), Purpose.PREFERENCES, token)
    subscriber_id = subscriber.id
    topics = list_topics(session)
    form = PreferencesForm()
    form.topics.choices = topic_choices(topics)
    pause_form = PauseForm()
    page = {"token": token, "form": form, "pause_form": pause_form}
    if request.method == "POST":
        if not form.validate_on_submit():
            raise CSRFError()
        sent_timing = any(name in request.form for name in timing.FIELDS)
        _, problems = timing.read_choices(request.form)
        if problems:
            return _preferences_page(subscriber, **page, timing_errors=problems,
                                     timing_values=request.form), 422
        try:
            if "topics" in request.form or not sent_timing:
                page["changes"] = service.set_topics(session, subscriber_id,
                                                     form.topics.data or [])
            if sent_timing:
                timing.set_choices(session, subscriber_id, request.form,
                                   runtime().settings.list_timezone)
                page["timing_saved"] = True
        except ValidationError as exc:
            session.rollback()
            if exc.field in timing.FIELDS:
                return _preferences_page(subscriber, **page, timing_values=request.form,
                                         timing_errors={exc.field: exc.message}), 422
            form.topics.errors = [exc.message]
            return _preferences_page(subscriber, **page), 422
        session.commit()
    form.topics.data = [t.slug for t in topics if t.id in subscriber.topic_ids]
    return _preferences_page(subscriber, **page)


def _preferences_page(subscriber, token, form, pause_form, changes=None,  # type: ignore[no-untyped-def]
                      timing_saved=False, timing_errors=None, timing_values=None):
    list_zone = runtime().settings.list_timezone
    if timing_values is None:
        timing_values = {"timezone": subscriber.timezone or "", "cadence": subscriber.cadence,
                         "hour": str(subscriber.briefing_hour),
                         "weekday": str(subscriber.briefing_weekday or 0)}
    return render_template(
        "preferences.html", token=token, subscriber=subscriber, topics=load_cards(db()),
        next_briefing=next_briefing(db(), subscriber, list_zone=list_zone),
        form=form, pause_form=pause_form, action_form=ActionForm(), erase_form=EraseForm(),
        changes=changes, unsubscribe_token=link_token(Purpose.UNSUBSCRIBE, subscriber),
        timing_saved=timing_saved, timing_errors=timing_errors or {},
        timing_values=timing_values, weekdays=timing.WEEKDAYS,
    )


@bp.post("/preferences/<token>/pause")
def pause(token: str):  # type: ignore[no-untyped-def]
    subscriber_id = subscriber_id_of(Purpose.PREFERENCES, token)
    form = PauseForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            raise CSRFError()
        raise ValidationError("Choose how long to pause.")
    session = db()
    service.pause(session, subscriber_id, form.pause.data)
    session.commit()
    flash("Email is paused. Nothing will be sent until the pause ends.", "success")
    return redirect(url_for("public.preferences", token=token))


@bp.post("/preferences/<token>/resume")
def resume(token: str):  # type: ignore[no-untyped-def]
    subscriber_id = subscriber_id_of(Purpose.PREFERENCES, token)
    if not ActionForm().validate_on_submit():
        raise CSRFError()
    session = db()
    service.resume(session, subscriber_id, list_zone=runtime().settings.list_timezone)
    session.commit()
    flash("Welcome back: your briefings are on again.", "success")
    return redirect(url_for("public.preferences", token=token))


@bp.post("/preferences/<token>/export")
def export(token: str) -> Response:
    subscriber_id = subscriber_id_of(Purpose.PREFERENCES, token)
    if not ActionForm().validate_on_submit():
        raise CSRFError()
    data = service.export_data(db(), subscriber_id)
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": "attachment; filename=my-newsletter-data.json"},
    )


@bp.post("/preferences/<token>/erase")
def erase(token: str):  # type: ignore[no-untyped-def]
    subscriber_id = subscriber_id_of(Purpose.PREFERENCES, token)
    form = EraseForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            raise CSRFError()
        raise ValidationError("Tick the box to confirm that you want everything deleted.")
    session = db()
    service.erase(session, subscriber_id)
    session.commit()
    return render_template("erased.html")
