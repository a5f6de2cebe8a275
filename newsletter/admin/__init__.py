"""The editors' web app under /admin (Flask-Login sessions)."""

from __future__ import annotations

from flask import Blueprint, Flask, request
from flask_login import current_user

from ..extensions import login_manager
from ..models import Editor
from ..web.db import db

bp = Blueprint("admin", __name__, url_prefix="/admin")
OPEN_ENDPOINTS = {"admin.login"}


@bp.before_request
def require_login():  # type: ignore[no-untyped-def]
    """Every /admin page needs a logged-in editor, except the login page itself."""
    if request.endpoint in OPEN_ENDPOINTS or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


def _load_editor(editor_id: str) -> Editor | None:
    if not editor_id.isdigit():
        return None
    return db().get(Editor, int(editor_id))


def init_app(app: Flask) -> None:
    from . import auth, dashboard  # noqa: F401 - routes register on import

    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_editor)
    app.register_blueprint(bp)
