"""Admin only: the running configuration, and a check that the mail server answers.

Settings come from the environment (twelve-factor), so this page shows them rather than
editing them: a change belongs in the deployment, where every process sees it. The one
exception is what readers are told on the sign-up page: whether clicks and opens are
tracked is the list's choice, stored in the database (`engagement.tracking`), the
environment giving only the default.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import flash, redirect, render_template, request, url_for

from ..config import Settings
from ..engagement import tracking
from ..mail.transport import DeliveryError, open_transport
from ..web.db import db, runtime
from . import bp


def masked_url(url: str | None) -> str | None:
    """The URL without its password, so the page never shows a secret."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:••••@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def describe(settings: Settings) -> list[tuple[str, str, str]]:
    """(environment variable, value shown, what it means) for the settings page."""
    return [
        ("BASE_URL", settings.base_url, "every link in email points here"),
        ("MAIL_FROM", settings.mail_from, "From: of every email"),
        ("ENVELOPE_FROM", settings.envelope_from or "(the From address)", "where bounces go"),
        ("LIST_NAME", settings.list_name, "name in emails and List-Id"),
        ("SMTP_URL", masked_url(settings.smtp_url) or f"(none: .eml files in {settings.outbox})",
         "outgoing mail"),
        ("SMTP_RATE", f"{settings.smtp_rate:g}/s" if settings.smtp_rate else "unlimited",
         "messages per second across all workers"),
        ("SMTP_RETRY_DELAYS", ", ".join(f"{d} s" for d in settings.smtp_retry_delays),
         "wait before each retry of a deferred delivery"),
        ("DELIVERY_BATCH_SIZE", str(settings.batch_size), "deliveries per batch job"),
        ("DATABASE_URL", masked_url(settings.database_url) or "", "database"),
        ("REDIS_URL", masked_url(settings.redis_url) or "(embedded Redis under instance/)",
         "queue, rate limits and locks"),
        ("DKIM_SELECTOR / DKIM_DOMAIN",
         f"{settings.dkim_selector}._domainkey.{settings.dkim_domain}" if settings.dkim_key_path
         else "(off)", "DKIM signing"),
        ("FEEDS_ALLOW_PRIVATE", "on" if settings.feeds_allow_private else "off",
         "feeds on private addresses (tests only)"),
        ("BOUNCE_MAILBOX", masked_url(settings.bounce_mailbox) or "(off)",
         "polled for returned mail"),
        ("BOUNCE_SOFT_LIMIT", str(settings.bounce_soft_limit),
         "soft bounces on different days that mark a reader bounced"),
        ("BOUNCE_PAUSE_RATE", f"{settings.bounce_pause_rate:.1%}",
         "an edition pauses past this hard-bounce rate (after 200 copies)"),
        ("Bounce webhooks", ", ".join(name for name, on in (
            ("ses", True), ("postmark", settings.postmark_webhook_auth),
            ("mailgun", settings.mailgun_signing_key), ("sendgrid", settings.sendgrid_public_key))
            if on), "providers whose /webhooks/… calls are accepted (secrets never shown)"),
    ]


@bp.get("/settings")
def settings():  # type: ignore[no-untyped-def]
    s = runtime().settings
    return render_template("admin/settings.html", rows=describe(s),
                           tracking=tracking.load(db(), s), env=s)


@bp.post("/settings/tracking")
def settings_tracking():  # type: ignore[no-untyped-def]
    """Clicks and opens on or off for the list: new editions render accordingly, the
    redirect and the pixel record accordingly, and the sign-up page says so."""
    session = db()
    tracking.save(session, clicks=request.form.get("clicks") == "on",
                  opens=request.form.get("opens") == "on")
    session.commit()
    flash("Tracking saved. The sign-up page says what is recorded; editions started from "
          "now on carry links to match.", "success")
    return redirect(url_for("admin.settings"))


@bp.post("/settings/check-mail")
def settings_check_mail():  # type: ignore[no-untyped-def]
    s = runtime().settings
    try:
        result = open_transport(s.smtp_url, s.outbox, s.smtp_timeout).check()  # type: ignore[attr-defined]
    except (DeliveryError, OSError) as exc:
        flash(f"The mail server did not work: {exc}", "error")
    else:
        flash(f"Mail works: {result}.", "success")
    return redirect(url_for("admin.settings"))
