"""Domain errors. Views, API handlers and CLI commands map these to responses or exit codes."""

from __future__ import annotations


class NewsletterError(Exception):
    """Base for errors a user can act on; `message` is safe to show."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadRequest(NewsletterError):
    """The request itself is unreadable (e.g. not JSON), before any field is looked at."""

    status_code = 400


class ValidationError(NewsletterError):
    status_code = 422


class Forbidden(NewsletterError):
    """Signed in, but without the role this needs (e.g. an editor managing webhooks)."""

    status_code = 403


class NotFound(NewsletterError):
    status_code = 404


class Conflict(NewsletterError):
    status_code = 409


class InvalidToken(NewsletterError):
    status_code = 400


class InvalidTransition(Conflict):
    """A state change that the current status does not allow (e.g. resume a sent edition)."""
