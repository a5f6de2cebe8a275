"""The sign-up form and what follows it: check your inbox, send it again, a new link."""

from __future__ import annotations

import hashlib

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as flask_session
from flask_wtf.csrf import CSRFError

from ..errors import ValidationError
from ..subscribers import service, zones
from ..subscribers.addresses import email_key, normalize_email
from ..subscribers.catalog import CardCache, TopicCard
from ..subscribers.forms import (
    ActionForm,
    NewLinkForm,
    SubscribeForm,
    topic_choices,
)
from ..subscribers.jobs import (
    accept_signup,
    after_accepting,
    enqueue_link_request,
    signup_commands,
)
from ..web.db import runtime
from ..web.limits import limit_posts, refuse_over_limit, refuse_over_limit_then, visitor_ip
from ..web.stamped import PageCache, fill, marker
from . import bp
from .links import html


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
        return html(fill(page))
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
    return html(fill(page, email=email or ""))


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
