"""Editions: the form (review, then confirm), test sends, and the live edition page.

Creating goes through a review page that shows the send time in UTC and the number
of recipients; the confirm button carries a one-time nonce kept in Redis, so a double
click or a resubmitted form cannot schedule the same edition twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..delivery import lifecycle
from ..delivery.jobs import resume_edition
from ..editorial import edition_preview, scheduling
from ..editorial import editions as service
from ..errors import NewsletterError
from ..models import Edition, EditionKind, EditionStatus, utcnow
from ..web.db import db, runtime
from . import bp
from .forms import int_list, is_id, page_arg, text
from .preview import email_response

TIMEZONES = sorted(available_timezones() - {"localtime", "Factory"})


def _default_send_at(zone: str) -> str:
    local = (utcnow() + timedelta(hours=1)).astimezone(ZoneInfo(zone))
    return local.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


def _values() -> dict[str, object]:
    return {
        "subject": text("subject"),
        "subject_mode": _subject_mode(),
        "updates": request.form.getlist("updates"),
        "send_at": text("send_at"),
        "timezone": (request.form.get("timezone") or "UTC")[:64],
        "send_now": request.form.get("send_now") == "1",
        "delivery": request.form.get("delivery") or "at_time",
        "local_time": text("local_time"),
        "late_readers": request.form.get("late_readers") or "send_now",
    }


def _subject_mode() -> str:
    """'auto' (each copy's own subject) or 'fixed'; without a choice, a typed subject is fixed."""
    mode = request.form.get("subject_mode", "")
    if mode in ("auto", "fixed"):
        return mode
    return "fixed" if text("subject").strip() else "auto"


def _form(values: dict[str, object] | None = None, error: NewsletterError | None = None,
          status: int = 200):  # type: ignore[no-untyped-def]
    session = db()
    candidates = service.unsent_published_updates(session)
    if values is None:
        values = {"subject": "", "subject_mode": "auto", "updates": [str(u.id) for u in candidates],
                  "send_at": _default_send_at("UTC"), "timezone": "UTC", "send_now": False,
                  "auto_timezone": True, "delivery": "at_time", "local_time": "07:00",
                  "late_readers": "send_now"}
    order = [str(v) for v in values.get("updates", [])]  # type: ignore[union-attr]
    chosen = set(order)
    # chosen updates first, in the editor's order (the order the email uses), then the rest
    candidates.sort(key=lambda u: order.index(str(u.id)) if str(u.id) in chosen else len(order))
    shown = {u.id for u in candidates}
    others = [u for u in service.published_updates(session) if u.id not in shown][:50]
    return render_template(
        "admin/edition_form.html", values=values, candidates=candidates, others=others,
        chosen=chosen, timezones=TIMEZONES, error=error,
        suggested=service.default_subject([u for u in candidates if str(u.id) in chosen]),
    ), status


def _plan(values: dict[str, object]) -> scheduling.EditionPlan:
    """The form's fields, parsed, through the one planner the API uses too."""
    fixed = values["subject_mode"] == "fixed"  # 'auto' ignores a typed subject
    return scheduling.plan_edition(
        db(), update_ids=int_list("updates"), send_at=values["send_at"],
        timezone=values["timezone"], subject=values["subject"] if fixed else None,
        subject_required=fixed, send_now=bool(values["send_now"]),
        delivery=values["delivery"], local_time=values["local_time"],
        late_readers=values["late_readers"], list_timezone=runtime().settings.list_timezone,
    )


def _review(plan: scheduling.EditionPlan, values: dict[str, object], nonce: str,
            status: int = 200, **extra: object):  # type: ignore[no-untyped-def]
    return render_template("admin/edition_review.html", plan=plan, values=values,
                           nonce=nonce, **extra), status


@bp.get("/editions")
def editions():  # type: ignore[no-untyped-def]
    session = db()
    page = page_arg()
    # ?kind=digest or ?kind=welcome: the briefings the service built (unknown kinds: editions)
    kind = request.args.get("kind", "")
    kind = kind if kind in {k.value for k in EditionKind} else EditionKind.EDITION
    rows = service.list_editions(session, page=page, kind=kind)
    return render_template("admin/editions.html", editions=rows, page=page, kind=kind)


@bp.get("/editions/new")
def editions_new():  # type: ignore[no-untyped-def]
    return _form()


@bp.post("/editions/new")
def editions_review():  # type: ignore[no-untyped-def]
    values = _values()
    if request.form.get("back") == "1":
        return _form(values)
    try:
        plan = _plan(values)
    except NewsletterError as exc:
        return _form(values, exc, exc.status_code)
    return _review(plan, values, scheduling.issue_nonce(runtime().redis, current_user.id))


@bp.get("/editions/estimate.json")
def editions_estimate():  # type: ignore[no-untyped-def]
    ids = [int(i) for i in request.args.getlist("updates") if is_id(i)][:100]
    return jsonify({"recipients": service.estimate_recipients(db(), ids) if ids else 0})


@bp.get("/editions/waves.json")
def editions_waves():  # type: ignore[no-untyped-def]
    """The wave plan the form shows in local mode: the same planner the review page uses."""
    args = request.args
    ids = [int(i) for i in args.getlist("updates") if is_id(i)][:100]
    try:
        plan = scheduling.plan_edition(
            db(), update_ids=ids, send_at=args.get("send_at", ""),
            timezone=args.get("timezone") or "UTC", delivery="local",
            local_time=args.get("local_time", ""), late_readers=args.get("late_readers"),
            send_now=args.get("send_now") == "1",
            list_timezone=runtime().settings.list_timezone)
    except NewsletterError as exc:
        return jsonify({"error": exc.message, "field": exc.field}), exc.status_code
    return jsonify(_waves_payload(plan))


def _waves_payload(plan: scheduling.EditionPlan) -> dict[str, object]:
    def when(moment: datetime | None) -> str | None:
        return moment.astimezone(ZoneInfo(plan.zone)).strftime("%a %-d %b %H:%M") if moment else None

    return {
        "zone": plan.zone, "recipients": plan.recipients, "late": plan.late,
        "late_readers": plan.late_readers, "first": when(plan.first_moment),
        "last": when(plan.last_moment), "starts": when(plan.starts_at),
        "waves": [{"moment": w.moment.isoformat(), "local": when(w.moment), "zones": w.zones,
                   "readers": w.readers, "late": w.late} for w in plan.waves],
    }


@bp.post("/editions")
def editions_create():  # type: ignore[no-untyped-def]
    values = _values()
    try:
        plan = _plan(values)
    except NewsletterError as exc:
        return _form(values, exc, exc.status_code)
    try:
        edition = scheduling.schedule_edition(db(), runtime(), plan, current_user,
                                              nonce=request.form.get("nonce", ""))
    except scheduling.AlreadyScheduled as exc:
        flash(exc.message, "warning")
        return redirect(url_for("admin.editions_show", edition_id=exc.edition_id))
    except NewsletterError as exc:
        return _form(values, exc, exc.status_code)
    if plan.is_local:
        when = f"at {plan.local_time} on each reader's clock, {plan.local:%Y-%m-%d}"
    else:
        when = "now" if plan.send_now else f"at {plan.local:%Y-%m-%d %H:%M} {plan.zone}"
    # "edition-scheduled": the edition page's live status hides it once sending starts
    flash(f"Edition scheduled to send {when}.", "success edition-scheduled")
    return redirect(url_for("admin.editions_show", edition_id=edition.id))


@bp.post("/editions/test")
def editions_test_draft():  # type: ignore[no-untyped-def]
    """Test send from the review page, before the edition exists."""
    values = _values()
    try:
        plan = _plan(values)
    except NewsletterError as exc:
        return _form(values, exc, exc.status_code)
    nonce = request.form.get("nonce", "")
    try:
        edition_preview.send_test(runtime().settings, runtime().postman(), plan.fixed_subject,
                                  plan.updates, text("test_email"),
                                  kicker=f"{plan.local:%A, %-d %B %Y}")
    except NewsletterError as exc:
        return _review(plan, values, nonce, exc.status_code, test_error=exc.message,
                       test_email=text("test_email"))
    flash(f"Test sent to {text('test_email').strip()}.", "success")
    return _review(plan, values, nonce)


def _actions(status: str) -> dict[str, bool]:
    return {
        "pause": status in lifecycle.ALLOWED["pause"][0],
        "resume": status == EditionStatus.PAUSED,
        "cancel": status in lifecycle.ALLOWED["cancel"][0],
    }


def _status_payload(edition: Edition) -> dict[str, object]:
    session = db()
    data = service.edition_status(session, edition.id)
    data["actions"] = _actions(str(data["status"]))
    data["reach"] = [vars(r) for r in service.recipients_by_topic(session, edition)]
    data["errors"] = len(service.delivery_errors(session, edition.id))
    return data


@bp.get("/editions/<int:edition_id>")
def editions_show(edition_id: int):  # type: ignore[no-untyped-def]
    session = db()
    edition = service.get_edition(session, edition_id)
    status = _status_payload(edition)
    preview_email = request.args.get("preview_email", "").strip()[:254]
    preview_topics = [s for s in request.args.getlist("preview_topics") if s][:62]
    preview_query = {"email": preview_email} if preview_email else {"topics": preview_topics}
    return render_template(
        "admin/edition.html", edition=edition, status=status,
        waves=service.edition_waves(session, edition, runtime().settings.list_timezone),
        errors=service.delivery_errors(session, edition_id), actions=status["actions"],
        topics=[r for r in status["reach"]], preview_email=preview_email,  # type: ignore[union-attr]
        preview_topics=preview_topics,
        preview_url=url_for("admin.editions_preview", edition_id=edition_id, **preview_query),
    )


@bp.get("/editions/<int:edition_id>/status.json")
def editions_status(edition_id: int):  # type: ignore[no-untyped-def]
    return jsonify(_status_payload(service.get_edition(db(), edition_id)))


@bp.post("/editions/<int:edition_id>/pause")
def editions_pause(edition_id: int):  # type: ignore[no-untyped-def]
    session = db()
    lifecycle.pause(session, edition_id, reason=f"paused by {current_user.display_name}")
    session.commit()
    flash("Edition paused. Messages already handed to the mail server still arrive.", "success")
    return redirect(url_for("admin.editions_show", edition_id=edition_id))


@bp.post("/editions/<int:edition_id>/resume")
def editions_resume(edition_id: int):  # type: ignore[no-untyped-def]
    resume_edition(runtime(), edition_id)
    flash("Edition resumed.", "success")
    return redirect(url_for("admin.editions_show", edition_id=edition_id))


@bp.post("/editions/<int:edition_id>/cancel")
def editions_cancel(edition_id: int):  # type: ignore[no-untyped-def]
    session = db()
    lifecycle.cancel(session, edition_id)
    session.commit()
    flash("Edition cancelled. Nothing more will be sent.", "success")
    return redirect(url_for("admin.editions_show", edition_id=edition_id))


@bp.post("/editions/<int:edition_id>/public")
def editions_public(edition_id: int):  # type: ignore[no-untyped-def]
    """List the edition in the public archive, or keep it off (readers' own copies still work)."""
    session = db()
    edition = service.set_public(session, edition_id, request.form.get("public") == "1")
    session.commit()
    flash("The edition is listed in the public archive once sent." if edition.public
          else "The edition is kept off the public archive and feed.", "success")
    return redirect(url_for("admin.editions_show", edition_id=edition_id))


@bp.post("/editions/<int:edition_id>/test")
def editions_test(edition_id: int):  # type: ignore[no-untyped-def]
    edition = service.get_edition(db(), edition_id)
    address = text("test_email")
    edition_preview.send_test_of_edition(runtime().settings, runtime().postman(), edition,
                                        address)
    flash(f"Test sent to {address.strip()}.", "success")
    return redirect(url_for("admin.editions_show", edition_id=edition_id))


@bp.get("/editions/<int:edition_id>/preview")
def editions_preview(edition_id: int):  # type: ignore[no-untyped-def]
    """The email as one subscriber (?email=) or one topic combination (?topics=) gets it."""
    session = db()
    edition = service.get_edition(session, edition_id)
    settings = runtime().settings
    try:
        if request.args.get("email"):
            preview = edition_preview.preview_for_subscriber(
                session, edition, request.args["email"], settings)
        else:
            preview = edition_preview.preview_for_topics(
                session, edition, request.args.getlist("topics")[:62], settings)
    except NewsletterError as exc:
        return email_response(render_template("admin/preview_notice.html", message=exc.message),
                              exc.status_code)
    if preview.mask == 0:
        return email_response(render_template(
            "admin/preview_notice.html",
            message=f"Nothing to show: {preview.description} gets no topic of this edition, "
                    "so they receive no email."), 200)
    if request.args.get("format") == "text":
        return email_response(f"<pre>{_escape(preview.text)}</pre>")
    return email_response(preview.html)


def _escape(value: str) -> str:
    from markupsafe import escape

    return str(escape(value))
