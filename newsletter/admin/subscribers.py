"""Subscribers for editors: search, filter, per-topic counts, CSV export and CSV import."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError as CSRFInvalid

from ..errors import NewsletterError
from ..extensions import csrf
from ..models import SubscriberStatus
from ..subscribers import access, importer, listing
from ..subscribers.jobs import send_import_confirmations
from ..web.db import db, runtime
from . import bp
from .forms import page_arg

PER_PAGE = 50
CONFIRM_BATCH = 500  # confirmation emails per job, one SMTP connection each
MAX_UPLOAD = 64 * 1024 * 1024  # 100k rows are about 4 MB; leave plenty of room


def _filter() -> listing.Filter:
    return listing.Filter(query=request.args.get("q", "")[:254],
                           status=request.args.get("status", ""))


@bp.get("/subscribers")
def subscribers():  # type: ignore[no-untyped-def]
    session = db()
    flt = _filter()
    page = page_arg()
    rows, total = listing.search(session, flt, page, PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render_template(
        "admin/subscribers.html", rows=rows, total=total, page=page, pages=pages, flt=flt,
        statuses=list(SubscriberStatus), by_status=listing.counts_by_status(session),
        topic_counts=listing.topic_counts(session),
    )


@bp.post("/subscribers/<int:subscriber_id>/revoke-links")
def subscribers_revoke_links(subscriber_id: int):  # type: ignore[no-untyped-def]
    """Admin only: every link in this reader's past emails stops working (e.g. a forwarded
    email let someone else into their preferences). Their next email has working links."""
    session = db()
    subscriber = access.revoke_links(session, subscriber_id)
    session.commit()
    flash(f"Links sent to {subscriber.email} so far no longer work.", "success")
    return redirect(url_for("admin.subscriber_show", subscriber_id=subscriber.id))


@bp.get("/subscribers/export.csv")
def subscribers_export() -> Response:
    flt = _filter()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    response = Response(stream_with_context(listing.stream_csv(runtime().Session, flt)),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="subscribers-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _import_page(report: importer.ImportReport | None = None, error: str | None = None,
                 status_code: int = 200, chosen: str = ""):  # type: ignore[no-untyped-def]
    return render_template("admin/subscribers_import.html", report=report, error=error,
                           chosen=chosen), status_code


@bp.get("/subscribers/import")
def subscribers_import_form():  # type: ignore[no-untyped-def]
    return _import_page()


@bp.post("/subscribers/import")
@csrf.exempt  # checked below, after the larger upload limit for this one form is set
def subscribers_import():  # type: ignore[no-untyped-def]
    request.max_content_length = MAX_UPLOAD
    try:
        validate_csrf(request.form.get("csrf_token"))
    except CSRFInvalid as exc:
        raise CSRFError(str(exc)) from exc
    status = request.form.get("status", "")
    upload = request.files.get("file")
    if status == SubscriberStatus.ACTIVE and request.form.get("consent") != "1":
        return _import_page(error="To import people as active, confirm that they agreed to get "
                            "these topics.", status_code=422, chosen=status)
    if upload is None or not upload.filename:
        return _import_page(error="Choose a CSV file.", status_code=422, chosen=status)
    session = db()
    text = io.TextIOWrapper(upload.stream, encoding="utf-8-sig", errors="strict", newline="")
    try:
        report = importer.import_subscribers(session, text, status)
    except UnicodeDecodeError:
        session.rollback()
        return _import_page(error="The file is not UTF-8 text. Save it as “CSV UTF-8” and try "
                            "again.", status_code=422, chosen=status)
    except NewsletterError as exc:
        session.rollback()
        return _import_page(error=exc.message, status_code=exc.status_code, chosen=status)
    if not report.ok:
        session.rollback()
        return _import_page(report, error=f"{report.error_count} row(s) need fixing; nothing was "
                            "imported.", status_code=422, chosen=status)
    session.commit()
    if status == SubscriberStatus.PENDING and request.form.get("send_confirmations") == "1":
        for start in range(0, len(report.new_ids), CONFIRM_BATCH):
            runtime().queue.enqueue(send_import_confirmations,
                                    report.new_ids[start:start + CONFIRM_BATCH], job_timeout=3600)
        report.confirmations_queued = len(report.new_ids)
    return _import_page(report, chosen=status)


