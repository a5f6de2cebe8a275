"""Map errors to clear pages (or JSON under /api): never a traceback for bad input."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..errors import InvalidToken, NewsletterError


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str, title: str | None = None):  # type: ignore[no-untyped-def]
    if wants_json():
        return jsonify({"error": message}), status
    return render_template("error.html", status=status, title=title or "Something is not right",
                           message=message), status


def bad_link(exc: InvalidToken):  # type: ignore[no-untyped-def]
    """A link from an email that does not work: not a dead end, the next step is on the page."""
    from ..subscribers.forms import NewLinkForm

    return render_template("bad_link.html", message=exc.message, form=NewLinkForm(),
                           status=exc.status_code), exc.status_code


def init_app(app: Flask) -> None:
    @app.errorhandler(NewsletterError)
    def domain_error(exc: NewsletterError):  # type: ignore[no-untyped-def]
        if isinstance(exc, InvalidToken) and not wants_json():
            return bad_link(exc)
        return error_response(exc.status_code, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # type: ignore[no-untyped-def]
        return error_response(
            400, "This form has expired or was not sent from our page. Reload and try again.",
            "Please try again",
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        messages = {
            404: "We could not find that page.",
            405: "That action is not allowed here.",
            413: "What you sent is too large.",
            429: "Too many requests. Please wait a little and try again.",
        }
        return error_response(exc.code or 500, messages.get(exc.code or 0, exc.description or ""),
                              exc.name)
