"""Behind HTTPS every form still works: Chromium against real gunicorn with TLS.

Flask-WTF checks on https that a form's Referer is our own origin, so a Referrer-Policy
of `no-referrer` made the sign-up, confirm, preferences and login forms all fail with
"This form has expired". The server here is gunicorn with a throwaway certificate,
BASE_URL is https://127.0.0.1:PORT, on the test's PostgreSQL, Redis and SMTP sink.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from newsletter.models import Subscriber, SubscriberStatus, Topic
from tests.browser_support import browser  # noqa: F401 - fixture
from tests.factories import make_editor, make_topic
from tests.support.admin import log_in_page
from tests.support.smtp import free_port
from tests.support.tls_server import TlsGunicorn

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def https_url() -> str:
    return f"https://127.0.0.1:{free_port()}"


@pytest.fixture
def settings(settings, https_url):  # type: ignore[no-untyped-def]
    """The worker in this process writes links to the https server, as in production."""
    return dataclasses.replace(settings, base_url=https_url)


@pytest.fixture
def https_server(app, settings, tmp_path) -> Iterator[TlsGunicorn]:  # type: ignore[no-untyped-def]
    folder = tmp_path / "tls"
    folder.mkdir()
    with TlsGunicorn(settings, folder) as server:
        yield server


@pytest.fixture
def tls_page(browser) -> Iterator[Page]:  # type: ignore[no-untyped-def]  # noqa: F811
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    try:
        yield context.new_page()
    finally:
        context.close()


def reader(db) -> Subscriber:  # type: ignore[no-untyped-def]
    db.expire_all()
    row = db.scalar(select(Subscriber).where(Subscriber.email == "reader@example.com"))
    assert row is not None
    return row


def followed(db, row: Subscriber) -> set[str]:  # type: ignore[no-untyped-def]
    ids = [s.topic_id for s in row.subscriptions]
    return set(db.scalars(select(Topic.slug).where(Topic.id.in_(ids))))


def test_pages_over_https_keep_the_referrer_on_our_own_origin_and_set_hsts(tls_page, https_server):
    response = tls_page.goto(f"{https_server.url}/subscribe")
    assert response is not None and response.status == 200
    assert response.headers["referrer-policy"] == "same-origin"
    assert re.fullmatch(r"max-age=\d{7,}(; includeSubDomains)?",
                        response.headers["strict-transport-security"])


@pytest.fixture
def newsroom(db) -> None:  # type: ignore[no-untyped-def]
    """Topics and an editor that exist before gunicorn starts: its readiness probe fills the
    sign-up page's per-process topic cache, which may keep that list for a few seconds."""
    make_topic(db, "world", name="World")
    make_topic(db, "climate", name="Climate")
    make_editor(db, "erin@newsroom.example", name="Erin Editor")
    db.commit()


def test_sign_up_confirm_preferences_and_login_forms_work_over_https(
    newsroom, tls_page, https_server, db, smtp, work
):
    page, base = tls_page, https_server.url
    page.goto(f"{base}/subscribe")
    page.get_by_label("Email address").fill("reader@example.com")
    page.locator("input[name=topics][value=world]").check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    work()  # the sign-up job records the reader and mails the confirmation link
    (mail,) = smtp.inbox("reader@example.com")
    text = mail.get_body(("plain",)).get_content()
    match = re.search(re.escape(base) + r"/confirm/\S+", text)
    assert match, text
    page.goto(match.group(0))
    page.get_by_role("button", name="Yes, subscribe me").click()
    expect(page.get_by_role("status").first).to_contain_text("confirmed")
    assert reader(db).status == SubscriberStatus.ACTIVE

    assert "/preferences/" in page.url
    page.locator("input[name=topics][value=climate]").check()
    page.get_by_role("button", name="Save topics").click()
    expect(page.locator(".flash-success")).to_contain_text("Added: Climate")
    assert followed(db, reader(db)) == {"world", "climate"}

    log_in_page(page, base, "erin@newsroom.example")
    assert page.url.startswith(f"{base}/admin")
