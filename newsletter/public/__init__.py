"""The public pages of readers ("public" blueprint): thin views over the subscribers package.

One blueprint ("public"), its routes in three modules: `signup` (the sign-up form, the
check-your-inbox page, resend, a new link), `reader` (confirm, preferences, pause, export,
erase) and `leaving` (unsubscribe, RFC 8058 one-click, undo); `links` holds what they share.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..subscribers import zones
from ..web.db import runtime

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


from . import leaving, reader, signup  # noqa: E402, F401 - routes register on import
