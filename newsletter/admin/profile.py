"""Each editor's own profile: the name and picture readers see as "Curated by"."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..editorial.editors import update_profile
from ..errors import NewsletterError
from ..web.db import db
from . import bp
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
