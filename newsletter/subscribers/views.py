"""Public pages for subscribers: thin views over subscribers.service."""

from __future__ import annotations

import functools
import hashlib
import json

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as flask_session
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError as FormValidationError

from ..delivery import ledger
from ..delivery.jobs import welcome_after_confirm
from ..editorial.topics import list_topics
from ..errors import InvalidToken, NotFound, ValidationError
from ..extensions import csrf
from ..models import SubscriberStatus
from ..web.db import db, runtime
from ..web.limits import limit_posts, refuse_over_limit, refuse_over_limit_then, visitor_ip
from ..web.stamped import PageCache, fill, marker
from . import access, one_click, outbox, service, timing, zones
from .addresses import email_key, normalize_email
from .catalog import CardCache, TopicCard, load_cards
from .forms import (
    ActionForm,
    EraseForm,
    NewLinkForm,
    PauseForm,
    PreferencesForm,
    SubscribeForm,
    topic_choices,
)
from .jobs import (
    accept_signup,
    after_accepting,
    enqueue_link_request,
    enqueue_mail,
    kick,
    send_outgoing_mail,
    signup_commands,
)
from .schedule import next_briefing
from .tokens import ExpiredToken, Purpose, Tokens

bp = Blueprint("public", __name__)


# The time zone picker's parts, as template globals so the imported form macros see them
# (the sign-up page, the home page's form and the preferences page).
bp.add_app_template_global(zones.options_html, "zone_options")


@bp.app_template_global()
def list_timezone() -> str:
    """The zone of readers who did not choose one (LIST_TIMEZONE)."""
    return runtime().settings.list_timezone


@bp.after_request
def _no_store(response: Response) -> Response:
    """Pages opened by a personal link (or showing the address just typed) are nobody
    else's: no browser, proxy or CDN may keep a copy."""
    if (request.view_args and "token" in request.view_args) \
            or request.endpoint == "public.check_inbox":
        response.headers["Cache-Control"] = "no-store"
    return response


def tokens() -> Tokens:
    return _tokens(runtime().settings.secret_key)


@functools.lru_cache(maxsize=8)
def _tokens(secret_key: str) -> Tokens:
    """One set of serializers per secret key: building them is a fifth of a one-click POST's
    CPU, and they hold no per-request state."""
    return Tokens(secret_key)


def _open(purpose: Purpose, token: str) -> int:
    """The id of the subscriber this link is for, if it is valid and not revoked."""
    return access.open_link(db(), tokens(), purpose, token).id


def _link_token(purpose: Purpose, subscriber) -> str:  # type: ignore[no-untyped-def]
    """A link of the subscriber's current generation, for the pages that link onwards."""
    return tokens().make(purpose, subscriber.id, subscriber.token_version)


def _email_bucket(key: str) -> str:
    """Per-address bucket, keyed by a hash so Redis never holds the address itself.

    A malformed address gets its own bucket too (never one shared by every typo).
    """
    return "subscribe-email:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def _form_limits() -> list[tuple[str, str]]:
    """The per-IP and per-address limits of a form that carries an address."""
    return [("subscribe-ip:" + visitor_ip(), "SUBSCRIBE_LIMIT_IP"),
            (_email_bucket(email_key_or_raw(request.form.get("email", "")[:400])),
             "SUBSCRIBE_LIMIT_EMAIL")]


def _cards(needed: list[str] | None = None) -> list[TopicCard]:
    """The sign-up page's topics from this process's cache (see catalog)."""
    cache = current_app.extensions.get("topic_cards")
    if cache is None:
        cache = current_app.extensions["topic_cards"] = CardCache(
            current_app.config["SIGNUP_PAGE_CACHE_SECONDS"])
    return cache.get(runtime().Session, needed)


def _pages() -> PageCache:
    pages = current_app.extensions.get("public_pages")
    if pages is None:
        pages = current_app.extensions["public_pages"] = PageCache()
    return pages


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/html")


SIGNUP_KEY = "signup"  # the address and topics just typed, for the check-your-inbox page


@bp.route("/subscribe", methods=["GET", "POST"])
def subscribe():  # type: ignore[no-untyped-def]
    if request.method == "GET":
        cards = _cards(request.args.getlist("topic")[:1])
        wanted = request.args.get("topic")
        wanted = wanted if wanted in {t.slug for t in cards} else None
        if "_flashes" in flask_session:  # a message for this visitor: not the shared page
            return _subscribe_page(cards, wanted)
        # The same HTML for every visitor, rendered again when the topic list changes;
        # only the CSRF token is each visitor's own.
        page = _pages().page(("subscribe", wanted, request.script_root), cards,
                             lambda: _subscribe_page(cards, wanted))
        return _html(fill(page))
    raw = request.form.get("email", "")
    chosen = request.form.getlist("topics")
    address, problem = _normalized(raw)
    # Every request is counted, a bad one too; the bucket is the address as it will be
    # written to, so case and spacing do not make new buckets.
    limits = [("subscribe-ip:" + visitor_ip(), "SUBSCRIBE_LIMIT_IP"),
              (_email_bucket(email_key(address) if address else "raw:" + raw[:400].strip().lower()),
               "SUBSCRIBE_LIMIT_EMAIL")]
    cards = _cards(chosen[:50])
    live = {t.slug for t in cards}  # checked against the page's list: no database work
    problems = {"email": problem} if problem else {}
    try:
        slugs = service.check_slugs(chosen, live)
    except ValidationError as exc:
        problems["topics"] = exc.message
    if problems or request.form.get("website"):
        refused = refuse_over_limit(limits)
        if refused is not None:
            return refused
        if request.form.get("website"):  # bot: pretend all went well
            return _check_inbox_redirect(raw, [])
        form = SubscribeForm()  # every problem at once, each next to its field
        form.topics.choices = topic_choices(cards)
        for name, message in problems.items():
            getattr(form, name).errors = [message]
        return render_template("subscribe.html", form=form, topics=cards), 422
    zone = zones.canonical(request.form.get("timezone"))  # unknown or absent: the list's
    # Whatever this address's history, the request does the same work: one round trip to
    # Redis that counts the limits and, within them, appends it to the sign-up stream.
    refused, replies = refuse_over_limit_then(
        limits, signup_commands(runtime(), address, slugs, zone))  # type: ignore[arg-type]
    if refused is not None:
        return refused
    after_accepting(runtime(), replies)
    return _check_inbox_redirect(address, slugs, zone=zone)  # type: ignore[arg-type]


def _subscribe_page(cards: list[TopicCard], wanted: str | None) -> str:
    form = SubscribeForm()
    form.topics.choices = topic_choices(cards)
    if wanted:
        form.topics.data = [wanted]
    return render_template("subscribe.html", form=form, topics=cards)


def _normalized(raw: str) -> tuple[str | None, str | None]:
    """(the address as it will be written to, None) or (None, why it is not one)."""
    try:
        return normalize_email(raw), None
    except ValidationError as exc:
        return None, exc.message


def _check_inbox_redirect(address: str, slugs: list[str], *, new_link: bool = False,
                          zone: str | None = None) -> Response:
    """Redirect after POST: a refresh does not sign up again. The address rides in the
    (signed) session cookie, never in the URL, and the page is the same for every address."""
    flask_session[SIGNUP_KEY] = {"email": address.strip()[:320], "topics": slugs[:50],
                                 "new_link": new_link, "timezone": zone}
    return redirect(url_for("public.check_inbox"), code=303)


def _resend_limits() -> list[tuple[str, str]]:
    email = (flask_session.get(SIGNUP_KEY) or {}).get("email", "")
    return [("subscribe-ip:" + visitor_ip(), "SUBSCRIBE_LIMIT_IP"),
            (_email_bucket(email_key_or_raw(email)), "SUBSCRIBE_LIMIT_EMAIL")]


def email_key_or_raw(raw: str) -> str:
    try:
        return email_key(normalize_email(raw))
    except ValidationError:
        return "raw:" + raw.strip().lower()


@bp.get("/subscribe/check-inbox")
def check_inbox():  # type: ignore[no-untyped-def]
    signup = flask_session.get(SIGNUP_KEY) or {}
    email = signup.get("email")
    if "_flashes" in flask_session:
        return render_template("check_inbox.html", email=email, form=ActionForm())
    # One page for every address: rendered once, the address and CSRF token stamped in.
    page = _pages().page(("check-inbox", bool(email), request.script_root), None,
                         lambda: render_template("check_inbox.html", form=ActionForm(),
                                                 email=marker("email") if email else None))
    return _html(fill(page, email=email or ""))


@bp.post("/subscribe/resend")
@limit_posts(_resend_limits)
def resend():  # type: ignore[no-untyped-def]
    """Send the email again for the address on the check-your-inbox page.

    The same job as the first request decides what (if anything) goes out, so the answer
    reveals nothing about the address either.
    """
    if not ActionForm().validate_on_submit():
        raise CSRFError()
    signup = flask_session.get(SIGNUP_KEY) or {}
    if not signup.get("email"):
        return redirect(url_for("public.subscribe"), code=303)
    if signup.get("topics"):
        accept_signup(runtime(), signup["email"], list(signup["topics"]),
                      zones.canonical(signup.get("timezone")))
    elif signup.get("new_link"):
        enqueue_link_request(runtime(), signup["email"])
    flash("Sent again. Give it a minute, and look in your spam folder too.", "success")
    return redirect(url_for("public.check_inbox"), code=303)


@bp.route("/links/new", methods=["GET", "POST"])
@limit_posts(_form_limits)
def new_link():  # type: ignore[no-untyped-def]
    """The way out of a broken or expired link: type your address, get a fresh link by email."""
    form = NewLinkForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                address = normalize_email(form.email.data or "")
            except ValidationError as exc:
                form.email.errors = [*form.email.errors, exc.message]
            else:
                enqueue_link_request(runtime(), address)
                return _check_inbox_redirect(address, [], new_link=True)
        return render_template("new_link.html", form=form), 422
    return render_template("new_link.html", form=form)


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
            preferences_token=_link_token(Purpose.PREFERENCES, subscriber),
        )
    if not form.validate_on_submit():
        raise CSRFError()
    service.confirm(session, subscriber_id, list_zone=runtime().settings.list_timezone)
    session.commit()
    welcome_after_confirm(runtime(), subscriber_id)
    flash("Your subscription is confirmed. Welcome!", "success")
    return redirect(url_for("public.preferences",
                            token=_link_token(Purpose.PREFERENCES, subscriber)))


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
        changes=changes, unsubscribe_token=_link_token(Purpose.UNSUBSCRIBE, subscriber),
        timing_saved=timing_saved, timing_errors=timing_errors or {},
        timing_values=timing_values, weekdays=timing.WEEKDAYS,
    )


@bp.post("/preferences/<token>/pause")
def pause(token: str):  # type: ignore[no-untyped-def]
    subscriber_id = _open(Purpose.PREFERENCES, token)
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
    subscriber_id = _open(Purpose.PREFERENCES, token)
    if not ActionForm().validate_on_submit():
        raise CSRFError()
    session = db()
    service.resume(session, subscriber_id, list_zone=runtime().settings.list_timezone)
    session.commit()
    flash("Welcome back: your briefings are on again.", "success")
    return redirect(url_for("public.preferences", token=token))


@bp.post("/preferences/<token>/export")
def export(token: str) -> Response:
    subscriber_id = _open(Purpose.PREFERENCES, token)
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
    subscriber_id = _open(Purpose.PREFERENCES, token)
    form = EraseForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            raise CSRFError()
        raise ValidationError("Tick the box to confirm that you want everything deleted.")
    session = db()
    service.erase(session, subscriber_id)
    session.commit()
    return render_template("erased.html")


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
            "preferences_token": _link_token(Purpose.PREFERENCES, subscriber)}
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
                                token=_link_token(Purpose.PREFERENCES, subscriber)))
    mail = service.request_confirmation(session, subscriber.id)
    session.commit()
    if mail is service.MailToSend.CONFIRM:
        enqueue_mail(runtime(), subscriber.id, mail.value)
    # The same page whether or not a mail went out (throttled, already active).
    return render_template("check_inbox.html", again=True)
