"""The edition form in Debian's Chromium, local delivery: choosing "at each reader's local
time" shows the wave plan (first and last reader, zone groups with their readers), the
review page repeats it, and confirming creates a local edition whose page lists the waves.
Screenshots land in test-artifacts/admin/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from newsletter.models import Edition, utcnow
from tests.browser_support import browser, shoot  # noqa: F401
from tests.factories import make_editor, make_subscriber, make_topic, make_update
from tests.support.admin import log_in_page

pytestmark = pytest.mark.browser


@pytest.fixture
def berlin_page(browser):  # type: ignore[no-untyped-def]  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  timezone_id="Europe/Berlin", locale="en-GB")
    context.set_default_timeout(20000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}")
            if msg.type == "error" else None)
    page.problems = problems  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


def test_the_edition_form_in_local_mode_shows_the_wave_plan(
        berlin_page, live_server, db, runtime, artifacts):
    page, base = berlin_page, live_server.url
    make_editor(db, "erin@newsroom.example", name="Erin Editor")
    world = make_topic(db, "world", name="World")
    make_update(db, world, "Talks resume")
    for i, zone in enumerate(["Asia/Kolkata", "Asia/Kathmandu", "Asia/Kathmandu",
                              "America/New_York", "Europe/Paris", "Europe/Berlin"]):
        make_subscriber(db, f"reader{i}@example.com", [world], timezone=zone)
    db.commit()
    day = (utcnow() + timedelta(days=2)).date()

    log_in_page(page, base, "erin@newsroom.example")
    page.goto(f"{base}/admin/editions/new")
    expect(page.locator("#local-fields")).to_be_hidden()  # at_time is the default
    page.fill("#send_at", f"{day.isoformat()}T09:00")
    page.check('input[name="delivery"][value="local"]')
    page.fill("#local_time", "07:30")
    plan = page.locator("#wave-plan")
    expect(plan.locator("#form-waves tbody tr")).to_have_count(4)  # Berlin and Paris share one
    expect(plan).to_contain_text("First readers get it")
    expect(plan.locator("tr", has_text="Asia/Kathmandu")).to_contain_text("02:45")  # Berlin time
    expect(plan.locator("tr", has_text="Asia/Kathmandu")).to_contain_text("2")
    expect(plan.locator("tr", has_text="Europe/Berlin, Europe/Paris")).to_contain_text("07:30")
    shoot(page, artifacts / "admin", "edition-form-local-waves")

    page.click("text=Review and schedule")
    expect(page.locator("#first-reader")).to_contain_text("02:45")
    expect(page.locator("#waves tbody tr")).to_have_count(4)
    page.click("#confirm-button")
    expect(page.locator("#waves-title")).to_contain_text("07:30")
    expect(page.locator("#waves tbody tr")).to_have_count(4)
    db.expire_all()
    [edition] = db.query(Edition).all()
    assert edition.delivery == "local" and edition.local_time == "07:30"
    assert page.problems == []  # type: ignore[attr-defined]
