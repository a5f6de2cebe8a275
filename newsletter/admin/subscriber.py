"""One subscriber's page for editors: topics, status, history, and what an editor can do.

The page is built from sections (see templates/web/admin/subscriber.html): status and topics,
actions, then history. A new section (e.g. the bounce log) adds a partial and a value to
`sections`, without touching the others.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from ..bounces.health import bounce_log
from ..delivery import ledger
from ..errors import ValidationError
from ..models import SubscriberStatus
from ..subscribers import service
from ..subscribers.jobs import enqueue_mail
from ..subscribers.timing import WEEKDAYS
from ..web.db import db, runtime
from . import bp


class _Action(FlaskForm):
    """A button that changes state: only CSRF to check."""


def _checked() -> None:
    if not _Action().validate_on_submit():
        raise ValidationError("This form has expired. Reload the page and try again.")


@bp.get("/subscribers/<int:subscriber_id>")
def subscriber_show(subscriber_id: int):  # type: ignore[no-untyped-def]
    session = db()
    subscriber = service.get_subscriber(session, subscriber_id)
    return render_template(
        "admin/subscriber.html", subscriber=subscriber, form=_Action(),
        topics=service.topic_names(session, subscriber_id),
        history=ledger.history(session, subscriber_id),
        sections={"bounces": "admin/_subscriber_bounces.html"},
        bounces=bounce_log(session, subscriber_id),
        weekdays=WEEKDAYS,
    )


@bp.post("/subscribers/<int:subscriber_id>/resend-confirmation")
def subscriber_resend(subscriber_id: int):  # type: ignore[no-untyped-def]
    _checked()
    session = db()
    mail = service.request_confirmation(session, subscriber_id)
    session.commit()
    if mail is service.MailToSend.CONFIRM:
        enqueue_mail(runtime(), subscriber_id, mail.value)
        flash("A new confirmation email is on its way.", "success")
    elif service.get_subscriber(session, subscriber_id).status in (
            SubscriberStatus.PENDING, SubscriberStatus.UNSUBSCRIBED):
        flash("Not sent: this address got an email from us in the last 10 minutes.", "warning")
    else:
        flash("Not sent: only people who have not confirmed (or who left) get one.", "warning")
    return redirect(url_for("admin.subscriber_show", subscriber_id=subscriber_id))


@bp.post("/subscribers/<int:subscriber_id>/unsubscribe")
def subscriber_unsubscribe(subscriber_id: int):  # type: ignore[no-untyped-def]
    _checked()
    session = db()
    service.unsubscribe(session, subscriber_id)
    session.commit()
    flash("Unsubscribed. No more briefings go to this address.", "success")
    return redirect(url_for("admin.subscriber_show", subscriber_id=subscriber_id))


@bp.post("/subscribers/<int:subscriber_id>/erase")
def subscriber_erase(subscriber_id: int):  # type: ignore[no-untyped-def]
    _checked()
    if request.form.get("confirm") != "y":
        raise ValidationError("Tick the box to confirm that this person should be erased.")
    session = db()
    address = service.get_subscriber(session, subscriber_id).email
    service.erase(session, subscriber_id)
    session.commit()
    flash(f"{address} and everything about them is erased.", "success")
    return redirect(url_for("admin.subscribers"))
