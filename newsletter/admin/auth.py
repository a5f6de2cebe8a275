"""Editor login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length

from ..accounts.service import authenticate
from ..extensions import limiter
from ..web.db import db
from . import bp


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])


def _safe_next(target: str | None) -> str:
    """Only local paths: no open redirect through ?next=."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("admin.dashboard")


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    if form.validate_on_submit():
        session = db()
        editor = authenticate(session, form.email.data or "", form.password.data or "")
        if editor is not None:
            session.commit()
            login_user(editor)
            return redirect(_safe_next(request.args.get("next")))
        flash("Wrong email or password.", "error")
        return render_template("admin/login.html", form=form), 401
    status = 422 if request.method == "POST" else 200
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    logout_user()
    flash("You are logged out.", "success")
    return redirect(url_for("admin.login"))
