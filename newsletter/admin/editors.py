"""Admin only: the list of editor accounts, adding editors, disabling and re-enabling them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.service import create_editor, reset_password
from ..editorial import editors as service
from ..editorial.text import clean_text
from ..errors import NewsletterError
from ..models import EditorRole
from ..web.db import db
from . import bp
from .forms import text


def _page(error: NewsletterError | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "admin/editors.html", editors=service.list_editors(db()), roles=[EditorRole.EDITOR, EditorRole.ADMIN],
        error=error, form=request.form if error else {},
    ), status


@bp.get("/editors")
def editors():  # type: ignore[no-untyped-def]
    return _page()


@bp.post("/editors")
def editors_create():  # type: ignore[no-untyped-def]
    session = db()
    try:
        name = clean_text(text("name"), "Name", max_len=120, required=False)
        editor = create_editor(session, text("email"), text("password"), name=name,
                               role=text("role") or EditorRole.EDITOR)
        session.commit()
    except NewsletterError as exc:
        session.rollback()
        return _page(exc, exc.status_code)
    flash(f"Editor {editor.email} added. Give them their password in person.", "success")
    return redirect(url_for("admin.editors"))


@bp.post("/editors/<int:editor_id>/active")
def editors_set_active(editor_id: int):  # type: ignore[no-untyped-def]
    session = db()
    active = request.form.get("active") == "1"
    editor = service.set_active(session, editor_id, active, current_user)
    session.commit()
    flash(f"{editor.email} is {'enabled' if active else 'disabled'}.", "success")
    return redirect(url_for("admin.editors"))


@bp.post("/editors/<int:editor_id>/password")
def editors_password(editor_id: int):  # type: ignore[no-untyped-def]
    """Admin only: set a new password for someone (forgotten or leaked); their sessions end."""
    session = db()
    try:
        editor = reset_password(session, editor_id, text("new_password"), current_user)
        session.commit()
    except NewsletterError as exc:
        session.rollback()
        return _page(exc, exc.status_code)
    flash(f"New password set for {editor.email}. Give it to them in person.", "success")
    return redirect(url_for("admin.editors"))
