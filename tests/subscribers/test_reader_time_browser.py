"""Reader time in Chromium: the sign-up form takes the zone from the browser's own clock
(Playwright's `timezone_id`), a reader without JavaScript picks it from the list, and the
preferences page changes zone and cadence. Screenshots land in test-artifacts/reader-time/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from newsletter.models import Subscriber
from tests.browser_support import DESKTOP, browser, shoot  # noqa: F401
from tests.factories import make_topic, make_update


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    topic = make_topic(db, "world", name="World", description="Wars, treaties and elections.")
    make_update(db, topic, "Ceasefire talks resume in Geneva")
    db.commit()
    return topic


def stored(db, address: str) -> Subscriber:  # type: ignore[no-untyped-def]
    db.expire_all()
    row = db.scalar(select(Subscriber).where(Subscriber.email == address))
    assert row is not None, address
    return row


@pytest.mark.browser
@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/Argentina/Buenos_Aires"])
def test_sign_up_takes_the_zone_from_the_browser(browser: Browser, live_server, db, world,  # noqa: F811
                                                 work, artifacts, zone) -> None:
    context = browser.new_context(viewport=DESKTOP, timezone_id=zone)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/subscribe?topic=world")
        expect(page.get_by_label("Time zone")).to_have_value(zone)  # before anyone touches it
        if zone == "Asia/Kolkata":
            shoot(page, artifacts / "reader-time", "01-subscribe-zone-detected")
        page.get_by_label("Email address").fill("kolkata@example.com")
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    finally:
        context.close()
    work()
    assert stored(db, "kolkata@example.com").timezone == zone


@pytest.mark.browser
def test_the_home_page_form_takes_the_zone_from_the_browser(browser: Browser, live_server, db,  # noqa: F811
                                                            world, work) -> None:
    context = browser.new_context(viewport=DESKTOP, timezone_id="Asia/Kathmandu")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        expect(page.get_by_label("Time zone")).to_have_value("Asia/Kathmandu")
        page.get_by_label("Email address").fill("home@example.com")
        page.get_by_label("World").check()
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    finally:
        context.close()
    work()
    assert stored(db, "home@example.com").timezone == "Asia/Kathmandu"


@pytest.mark.browser
def test_sign_up_without_javascript_uses_the_zone_list(browser: Browser, live_server, db,  # noqa: F811
                                                      world, work, artifacts) -> None:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False,
                                  timezone_id="Asia/Kolkata")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/subscribe?topic=world")
        picker = page.get_by_label("Time zone")
        expect(picker).to_have_value("")  # nothing detected without JavaScript: the list's zone
        picker.select_option("Pacific/Auckland")
        shoot(page, artifacts / "reader-time", "02-subscribe-no-js")
        page.get_by_label("Email address").fill("nojs@example.com")
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    finally:
        context.close()
    work()
    assert stored(db, "nojs@example.com").timezone == "Pacific/Auckland"
