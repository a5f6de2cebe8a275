"""/webhooks/<provider>: bounce and complaint events pushed by sending providers.

Each body is checked as its provider documents (SNS signature, basic auth, HMAC, ECDSA)
before anything is read from it; a refused call is a 403 JSON error and writes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import httpx
from flask import Blueprint, Flask, jsonify, request

from ..extensions import csrf
from ..web.db import db, runtime
from . import providers, sns
from .intake import take_in_event

log = logging.getLogger(__name__)
bp = Blueprint("bounce_webhooks", __name__, url_prefix="/webhooks")
MAX_BODY = 1024 * 1024


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise providers.WebhookRefused("the body is not JSON") from exc


def _handle(source: str, parse: Callable[[bytes], list[providers.ProviderEvent]]):  # type: ignore[no-untyped-def]
    body = request.get_data(cache=True)
    if len(body) > MAX_BODY:
        return jsonify({"error": "The body is too large."}), 413
    try:
        events = parse(body)
    except providers.WebhookRefused as exc:
        status = 400 if "JSON" in str(exc) or "body" in str(exc) else 403
        return jsonify({"error": f"Refused: {exc}."}), status
    except sns.SignatureError as exc:
        return jsonify({"error": f"Refused: {exc}."}), 403
    session = db()
    results = [take_in_event(session, runtime().settings, event, source) for event in events]
    session.commit()
    return jsonify({"received": len(results),
                    "matched": sum(1 for r in results if r.matched_by),
                    "duplicates": sum(1 for r in results if r.duplicate)})


@bp.post("/ses")
def ses():  # type: ignore[no-untyped-def]
    def parse(body: bytes) -> list[providers.ProviderEvent]:
        message = _json(body)
        if not isinstance(message, dict):
            raise providers.WebhookRefused("the body is not an SNS message")
        sns.verify(message, runtime().settings.ses_sns_cert_file)
        kind = message.get("Type")
        if kind == "SubscriptionConfirmation":
            _confirm(str(message.get("SubscribeURL", "")))
            return []
        if kind != "Notification":
            return []
        return providers.ses_events(str(message.get("Message", "")), str(message.get("MessageId")))

    return _handle("ses", parse)


class ConfirmationFailed(Exception):
    pass


def _confirm(url: str) -> None:
    try:
        sns.confirm_subscription(url)
    except httpx.HTTPError as exc:
        raise ConfirmationFailed(str(exc)) from exc


@bp.errorhandler(ConfirmationFailed)
def confirmation_failed(exc: ConfirmationFailed):  # type: ignore[no-untyped-def]
    log.warning("SNS subscription not confirmed: %s", exc)
    return jsonify({"error": "Could not confirm the SNS subscription; SNS will retry."}), 502


@bp.post("/postmark")
def postmark():  # type: ignore[no-untyped-def]
    def parse(body: bytes) -> list[providers.ProviderEvent]:
        providers.check_basic_auth(request.headers.get("Authorization", ""),
                                   runtime().settings.postmark_webhook_auth)
        return providers.postmark_events(_json(body))

    return _handle("postmark", parse)


@bp.post("/mailgun")
def mailgun():  # type: ignore[no-untyped-def]
    def parse(body: bytes) -> list[providers.ProviderEvent]:
        data = _json(body)
        providers.check_mailgun(data, runtime().settings.mailgun_signing_key)
        return providers.mailgun_events(data)  # type: ignore[arg-type]

    return _handle("mailgun", parse)


@bp.post("/sendgrid")
def sendgrid():  # type: ignore[no-untyped-def]
    def parse(body: bytes) -> list[providers.ProviderEvent]:
        providers.check_sendgrid(
            body, request.headers.get("X-Twilio-Email-Event-Webhook-Signature", ""),
            request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", ""),
            runtime().settings.sendgrid_public_key)
        return providers.sendgrid_events(_json(body))

    return _handle("sendgrid", parse)


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
