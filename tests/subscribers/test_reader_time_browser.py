"""Reader time in Chromium: the sign-up form takes the zone from the browser's own clock
(Playwright's `timezone_id`), a reader without JavaScript picks it from the list, and the
preferences page changes zone and cadence. Screenshots land in test-artifacts/reader-time/.
"""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from newsletter.models import Subscriber, utcnow
from newsletter.subscribers.tokens import Purpose
from tests.browser_support import DESKTOP, browser, shoot  # noqa: F401
from tests.factories import make_subscriber, make_topic, make_update
from tests.site.test_site_browser import serious_violations
from tests.subscribers.pages import token


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


@pytest.mark.browser
def test_preferences_change_zone_and_cadence(browser: Browser, live_server, db, world,  # noqa: F811
                                             artifacts) -> None:
    reader = make_subscriber(db, "reader@example.com", [world])
    db.commit()
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)  # axe is injected inline
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/preferences/{token(Purpose.PREFERENCES, reader.id)}")
        form = page.locator("form#timing")
        expect(form.get_by_label("Time zone")).to_have_value("")  # the list's zone so far
        assert serious_violations(page) == []
        form.get_by_label("Time zone").select_option("Asia/Kathmandu")
        form.get_by_label("Once a week: what is new on my topics").check()
        form.get_by_label("Hour of the daily or weekly briefing").select_option("06:00")
        form.get_by_label("Day of the weekly briefing").select_option("Friday")
        form.get_by_role("button", name="Save delivery settings").click()
        expect(page.get_by_role("status").filter(has_text="Saved.")).to_contain_text(
            "One weekly briefing on Fridays at 06:00, Asia/Kathmandu time.")
        expect(page.locator(".next-briefing")).to_contain_text(
            re.compile(r"Your next weekly briefing: Friday \d+ \w+ at 06:00 \(your time, "
                       r"Asia/Kathmandu\)"))
        expect(page.locator("form#timing").get_by_label("Time zone")).to_have_value(
            "Asia/Kathmandu")
        shoot(page, artifacts / "reader-time", "03-preferences-weekly")
        row = stored(db, "reader@example.com")
        assert (row.timezone, row.cadence, row.briefing_hour, row.briefing_weekday) == (
            "Asia/Kathmandu", "weekly", 6, 4)
        assert row.next_briefing_at is not None
        assert row.next_briefing_at.astimezone(UTC).strftime("%A %H:%M") == "Friday 00:15"
        assert {s.topic_id for s in row.subscriptions} == {world.id}  # topics untouched

        # back to every edition: no slot any more, only a one-off catch-up of what was
        # published since the last digest (sent by the next tick, delivery/briefings)
        page.locator("form#timing").get_by_label("Every edition, as the editors send it").check()
        page.locator("form#timing").get_by_role("button", name="Save delivery settings").click()
        expect(page.get_by_role("status").filter(has_text="Saved.")).to_contain_text(
            "You get each edition as the editors send it")
        assert serious_violations(page) == []
        row = stored(db, "reader@example.com")
        assert row.cadence == "edition"
        assert row.next_briefing_at is not None and row.next_briefing_at <= utcnow()
    finally:
        context.close()


@pytest.mark.browser
def test_the_sign_up_page_with_its_zone_list_passes_axe(browser: Browser, live_server,  # noqa: F811
                                                        world) -> None:
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True, timezone_id="Asia/Kolkata")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/subscribe")
        expect(page.get_by_label("Time zone")).to_have_value("Asia/Kolkata")
        assert serious_violations(page) == []
    finally:
        context.close()
