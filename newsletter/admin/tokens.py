"""API tokens of the logged-in editor: create one (shown once) and revoke old ones."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..accounts.service import create_token
from ..editorial import editors as service
from ..editorial.text import clean_text
from ..web.db import db
from . import bp
from .forms import text


@bp.get("/tokens")
def tokens():  # type: ignore[no-untyped-def]
    return render_template("admin/tokens.html", tokens=service.list_tokens(db(), current_user),
                           new_token=None)


@bp.post("/tokens")
def tokens_create():  # type: ignore[no-untyped-def]
    session = db()
    name = clean_text(text("name"), "Token name", max_len=120)
    token = create_token(session, current_user, name)
    session.commit()
    return render_template("admin/tokens.html", tokens=service.list_tokens(session, current_user),
                           new_token=token), 201


@bp.post("/tokens/<int:token_id>/revoke")
def tokens_revoke(token_id: int):  # type: ignore[no-untyped-def]
    session = db()
    service.revoke_token(session, current_user, token_id)
    session.commit()
    flash("Token revoked.", "success")
    return redirect(url_for("admin.tokens"))
