"""Webhook endpoints (admins only): register, see each one's latest calls and answers,
enable one the service disabled, remove."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..errors import ValidationError
from ..web.db import db, runtime
from ..webhooks import endpoints
from ..webhooks.events import EVENTS
from ..webhooks.signing import REPLAY_WINDOW_SECONDS
from . import bp
from .forms import text


def _page(error: ValidationError | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("admin/webhooks.html", views=endpoints.overview(db()), events=EVENTS,
                           error=error, form=request.form,
                           replay_window=REPLAY_WINDOW_SECONDS), status


@bp.get("/webhooks")
def webhooks():  # type: ignore[no-untyped-def]
    return _page()


@bp.post("/webhooks")
def webhooks_create():  # type: ignore[no-untyped-def]
    session = db()
    try:
        endpoints.register(session, text("url"), request.form.getlist("events"), text("secret"),
                           allow_private=runtime().settings.feeds_allow_private)
    except ValidationError as exc:
        session.rollback()
        return _page(exc, 422)
    session.commit()
    flash("Webhook registered.", "success")
    return redirect(url_for("admin.webhooks"))


@bp.post("/webhooks/<int:endpoint_id>/delete")
def webhooks_delete(endpoint_id: int):  # type: ignore[no-untyped-def]
    session = db()
    endpoints.remove(session, endpoint_id)
    session.commit()
    flash("Webhook removed.", "success")
    return redirect(url_for("admin.webhooks"))


@bp.post("/webhooks/<int:endpoint_id>/enable")
def webhooks_enable(endpoint_id: int):  # type: ignore[no-untyped-def]
    session = db()
    endpoints.enable(session, endpoint_id)
    session.commit()
    flash("Webhook enabled: its waiting calls go out now.", "success")
    return redirect(url_for("admin.webhooks"))
