"""The editors' web app under /admin (Flask-Login sessions).

Every page needs a logged-in editor (except the login page); pages that manage other
editors, the settings and webhook endpoints also need the admin role. Both checks run in
before_request, driven by the endpoint name, so a new view is protected without
remembering a decorator.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, request
from flask_login import current_user

from ..extensions import login_manager
from ..models import Editor
from ..web.db import db

bp = Blueprint("admin", __name__, url_prefix="/admin")
OPEN_ENDPOINTS = {"admin.login"}
# endpoints only the admin role may use
ADMIN_PREFIXES = ("admin.editors", "admin.settings", "admin.subscribers_revoke", "admin.webhooks")


def is_admin_endpoint(endpoint: str | None) -> bool:
    return bool(endpoint) and endpoint.startswith(ADMIN_PREFIXES)


@bp.before_request
def require_login():  # type: ignore[no-untyped-def]
    """Every /admin page needs a logged-in editor, except the login page itself."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if is_admin_endpoint(request.endpoint) and not current_user.is_admin:
        abort(403)
    return None


def _load_editor(cookie_id: str) -> Editor | None:
    """The editor a login cookie names, if it was issued for their current session version.

    Logging out, being disabled and a new password each raise the version, so every older
    cookie (another browser, a copied one) stops working at once.
    """
    editor_id, _, version = cookie_id.partition(".")
    if not editor_id.isdigit() or int(editor_id) > 2_147_483_647 or not version.isdigit():
        return None
    editor = db().get(Editor, int(editor_id))
    if editor is None or not editor.active or str(editor.session_version) != version:
        return None
    return editor


def init_app(app: Flask) -> None:
    from . import (  # noqa: F401 - routes register on import
        auth,
        dashboard,
        editions,
        editors,
        feeds,
        figures,
        profile,
        settings,
        subscriber,
        subscribers,
        tokens,
        topics,
        updates,
        webhooks,
    )

    @app.template_filter("local_time")
    def local_time(value, zone: str = "UTC") -> str:  # type: ignore[no-untyped-def]
        from zoneinfo import ZoneInfo

        if value is None:
            return ""
        try:
            return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
        except (KeyError, ValueError):
            return value.strftime("%Y-%m-%d %H:%M UTC")

    # flask-login's own context processor loads the user for every template, and with
    # "strong" protection that rewrites the session (a Set-Cookie) of any visitor who has one
    # on public pages, cacheable ones included; the proxy loads the user only where a
    # template reads it (the admin pages).
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    login_manager.login_view = "admin.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_editor)
    app.register_blueprint(bp)
