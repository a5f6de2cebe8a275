"""Leaving: the unsubscribe page, RFC 8058 one-click (in one statement where it can be),
and the undo."""

from __future__ import annotations

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError as FormValidationError

from ..delivery import ledger
from ..errors import InvalidToken, NotFound
from ..extensions import csrf
from ..subscribers import access, one_click, service
from ..subscribers.forms import (
    ActionForm,
)
from ..subscribers.jobs import (
    enqueue_mail,
)
from ..subscribers.tokens import Purpose
from ..web.db import db, runtime
from . import bp
from .links import link_token, tokens


def _edition_arg() -> int | None:
    """The edition named by the link's `?e=` (added to each copy's unsubscribe link and
    List-Unsubscribe header), unchecked; anything malformed is ignored, never an error:
    leaving must always work."""
    value = request.args.get("e", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _from_edition(subscriber_id: int) -> int | None:
    """The edition of `?e=`, if this reader was sent it."""
    edition_id = _edition_arg()
    if edition_id is None:
        return None
    return edition_id if ledger.copy_mask(db(), edition_id, subscriber_id) is not None else None


def _one_click(token: str) -> Response | None:
    """RFC 8058 in one round trip (one_click.py); None: take the general path."""
    try:
        claim = tokens().claim(Purpose.UNSUBSCRIBE, token)
    except InvalidToken:
        return Response("invalid link\n", status=400, mimetype="text/plain")
    outcome = one_click.unsubscribe(runtime().engine, claim, _edition_arg())
    if outcome in (one_click.Outcome.UNSUBSCRIBED, one_click.Outcome.ALREADY):
        return Response("unsubscribed\n", status=200, mimetype="text/plain")
    if outcome == one_click.Outcome.NOT_FOUND:
        return Response("not subscribed\n", status=200, mimetype="text/plain")
    if outcome == one_click.Outcome.REVOKED:
        return Response("invalid link\n", status=400, mimetype="text/plain")
    return None


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):  # type: ignore[no-untyped-def]
    one_click_post = request.method == "POST" \
        and request.form.get("List-Unsubscribe") == "One-Click"
    if one_click_post and (answered := _one_click(token)) is not None:
        return answered
    session = db()
    try:
        subscriber = access.open_link(session, tokens(), Purpose.UNSUBSCRIBE, token)
    except (InvalidToken, NotFound) as exc:
        if not one_click_post:
            raise
        if isinstance(exc, NotFound):
            return Response("not subscribed\n", status=200, mimetype="text/plain")
        return Response("invalid link\n", status=400, mimetype="text/plain")
    subscriber_id = subscriber.id
    if one_click_post:
        # RFC 8058: the token is the authority; no cookie, no CSRF, no redirect.
        service.unsubscribe(session, subscriber_id, edition_id=_from_edition(subscriber_id))
        session.commit()
        return Response("unsubscribed\n", status=200, mimetype="text/plain")
    form = ActionForm()
    page = {"form": form, "subscriber": subscriber, "token": token,
            "preferences_token": link_token(Purpose.PREFERENCES, subscriber)}
    if request.method == "GET":
        return render_template("unsubscribe.html", done=False, undo=None, **page)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except FormValidationError as exc:
        raise CSRFError() from exc
    service.unsubscribe(session, subscriber_id, edition_id=_from_edition(subscriber_id))
    session.commit()
    # Only whoever just pressed the button gets the undo: one day, one use.
    return render_template("unsubscribe.html", done=True,
                           undo=access.undo_token(tokens(), subscriber), **page)


@bp.post("/unsubscribe/<token>/undo")
def resubscribe(token: str):  # type: ignore[no-untyped-def]
    """Undo right after unsubscribing; later (or for anyone else) a fresh confirmation email."""
    session = db()
    subscriber = access.open_link(session, tokens(), Purpose.UNSUBSCRIBE, token)
    if not ActionForm().validate_on_submit():
        raise CSRFError()
    if access.undo_unsubscribe(session, tokens(), subscriber, request.form.get("undo", ""),
                               runtime().settings.list_timezone):
        session.commit()
        flash("You are subscribed again.", "success")
        return redirect(url_for("public.preferences",
                                token=link_token(Purpose.PREFERENCES, subscriber)))
    mail = service.request_confirmation(session, subscriber.id)
    session.commit()
    if mail is service.MailToSend.CONFIRM:
        enqueue_mail(runtime(), subscriber.id, mail.value)
    # The same page whether or not a mail went out (throttled, already active).
    return render_template("check_inbox.html", again=True)
