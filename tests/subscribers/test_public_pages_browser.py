"""The pages off the happy path, in Chromium: form errors, no JavaScript, expired link,
pause, erase, bad link. Screenshots land in test-artifacts/pages/ (1280 px and 390 px).
"""

from __future__ import annotations

import time

import pytest
from itsdangerous.timed import TimestampSigner
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from newsletter.models import Subscriber, SubscriberStatus
from newsletter.subscribers.tokens import Purpose, Tokens
from tests.browser_support import DESKTOP, browser, page, shoot  # noqa: F401
from tests.factories import make_subscriber, make_topic, make_update
from tests.subscribers.pages import SECRET, token


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    topic = make_topic(db, "world", name="World", description="Wars, treaties and elections.")
    make_update(db, topic, "Ceasefire talks resume in Geneva")
    make_topic(db, "climate", name="Climate", description="Emissions, energy and weather.")
    db.commit()
    return topic


@pytest.mark.browser
def test_sign_up_works_with_javascript_off(browser: Browser, live_server, db, world,  # noqa: F811
                                           work) -> None:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        nojs = context.new_page()
        nojs.goto(f"{live_server.url}/subscribe?topic=world")
        nojs.get_by_label("Email address").fill("nojs@example.com")
        nojs.get_by_role("button", name="Subscribe").click()
        expect(nojs.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    finally:
        context.close()
    work()
    assert db.scalar(select(Subscriber.email)) == "nojs@example.com"


@pytest.mark.browser
def test_a_bad_address_shows_the_form_again_with_the_reason(
    page: Page, live_server, db, world, artifacts  # noqa: F811
) -> None:
    page.goto(f"{live_server.url}/subscribe")
    page.get_by_label("Email address").fill("someone@@example")
    page.locator("input[name=topics][value=climate]").check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator("#email-errors")).to_contain_text("That email address is not valid")
    expect(page.locator("input[name=topics][value=climate]")).to_be_checked()
    expect(page.get_by_label("Email address")).to_have_value("someone@@example")
    shoot(page, artifacts / "pages", "01-subscribe-error")
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 0


@pytest.mark.browser
def test_an_expired_link_page_sends_a_fresh_one(
    page: Page, live_server, db, world, smtp, work, monkeypatch, artifacts  # noqa: F811
) -> None:
    row = make_subscriber(db, "late@example.com", [world], status="pending")
    db.commit()
    signed_at = int(time.time()) - 8 * 24 * 3600
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at)
        old = Tokens(SECRET).make(Purpose.CONFIRM, row.id)
    page.goto(f"{live_server.url}/confirm/{old}")
    expect(page.get_by_role("heading", level=1)).to_have_text("This confirmation link has expired")
    shoot(page, artifacts / "pages", "02-expired")
    page.get_by_role("button", name="Send me a new link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    work()
    assert len(smtp.inbox("late@example.com")) == 1


@pytest.mark.browser
def test_pause_resume_and_erase_from_the_preference_page(
    page: Page, live_server, db, world, artifacts  # noqa: F811
) -> None:
    row = make_subscriber(db, "reader@example.com", [world])
    db.commit()
    page.goto(f"{live_server.url}/preferences/{token(Purpose.PREFERENCES, row.id)}")
    page.get_by_label("for 4 weeks").check()
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("Email is paused")
    shoot(page, artifacts / "pages", "03-preferences-paused")
    db.refresh(row)
    assert row.status == SubscriberStatus.PAUSED and row.paused_until is not None

    page.get_by_role("button", name="Resume my briefings").click()
    expect(page.locator(".flash-success")).to_contain_text("Welcome back")
    db.refresh(row)
    assert row.status == SubscriberStatus.ACTIVE

    page.get_by_label("I understand this deletes my subscription and data").check()
    page.get_by_role("button", name="Erase everything").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data is erased")
    shoot(page, artifacts / "pages", "04-erased")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 0


@pytest.mark.browser
def test_a_broken_link_shows_a_clear_page(page: Page, live_server, artifacts) -> None:  # noqa: F811
    response = page.goto(f"{live_server.url}/unsubscribe/not-a-real-token")
    assert response is not None and response.status == 400
    expect(page.get_by_text("This link is not valid.")).to_be_visible()
    shoot(page, artifacts / "pages", "05-bad-link")
