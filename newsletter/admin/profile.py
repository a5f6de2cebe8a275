"""Each editor's own profile: the name and picture readers see as "Curated by"."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.service import change_password
from ..editorial.editors import update_profile
from ..errors import NewsletterError, ValidationError
from ..web.db import db
from . import bp
from .auth import start_session
from .forms import text


@bp.get("/profile")
def profile():  # type: ignore[no-untyped-def]
    return render_template("admin/profile.html", error=None, name=current_user.name)


@bp.post("/profile")
def profile_save():  # type: ignore[no-untyped-def]
    session = db()
    upload = request.files.get("picture")
    raw = upload.read(6 * 1024 * 1024) if upload and upload.filename else None
    try:
        update_profile(session, current_user, text("name"), raw,
                       remove_picture=bool(text("remove_picture")))
        session.commit()
    except NewsletterError as exc:
        session.rollback()
        return render_template("admin/profile.html", error=exc, name=text("name")), exc.status_code
    flash("Profile saved. New updates you write show this name and picture.", "success")
    return redirect(url_for("admin.profile"))


@bp.post("/profile/password")
def profile_password():  # type: ignore[no-untyped-def]
    """Change your own password. Every other session of yours ends; this one starts afresh."""
    session = db()
    try:
        if text("new_password") != text("confirm_password"):
            raise ValidationError("The two new passwords are not the same.",
                                  field="confirm_password")
        editor = change_password(session, current_user, text("current_password"),
                                 text("new_password"))
        session.commit()
    except NewsletterError as exc:
        session.rollback()
        return render_template("admin/profile.html", error=None, password_error=exc,
                               name=current_user.name), exc.status_code
    start_session(editor)
    flash("Password changed. You are signed out everywhere else.", "success")
    return redirect(url_for("admin.profile"))
