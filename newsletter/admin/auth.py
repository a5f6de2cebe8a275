"""Editor login and logout."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length

from ..accounts.service import authenticate, end_sessions
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


def _account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_ACCOUNT"]


def _account_key() -> str:
    """Failed logins counted per account, whichever addresses they come from (a botnet
    guessing one editor's password gets as few tries as a single machine)."""
    email = request.form.get("email", "")[:254].strip().lower()
    return "login-account:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()


def _failed(response: Response) -> bool:
    return response.status_code == 401


def start_session(editor) -> None:  # type: ignore[no-untyped-def]
    """A fresh session for a login: nothing from before it (CSRF token included) survives."""
    cookie.clear()
    login_user(editor)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    if form.validate_on_submit():
        session = db()
        editor = authenticate(session, form.email.data or "", form.password.data or "")
        if editor is not None:
            session.commit()
            start_session(editor)
            return redirect(_safe_next(request.args.get("next")))
        flash("Wrong email or password.", "error")
        return render_template("admin/login.html", form=form), 401
    status = 422 if request.method == "POST" else 200
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    """Logging out ends this editor's session in every browser, not only this cookie."""
    session = db()
    end_sessions(current_user)
    session.commit()
    logout_user()
    cookie.clear()
    flash("You are logged out.", "success")
    return redirect(url_for("admin.login"))
