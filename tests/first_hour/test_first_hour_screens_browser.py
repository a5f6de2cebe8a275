"""The screens a new reader and editor meet first, in Chromium at 1280 and 390 px.

Screenshots land in test-artifacts/first-hour/ (NAME-desktop.png, NAME-phone.png).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from newsletter.editorial.editions import create_edition
from newsletter.models import utcnow
from newsletter.subscribers.tokens import Purpose
from tests.browser_support import PHONE, browser, page, shoot  # noqa: F401
from tests.factories import make_editor, make_subscriber, make_topic, make_update
from tests.subscribers.pages import token
from tests.support.admin import log_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def folder(artifacts):  # type: ignore[no-untyped-def]
    return artifacts / "first-hour"


def test_a_reader_signs_up_and_sees_every_error_then_the_address(live_server, page, db,  # noqa: F811
                                                                    folder):
    make_topic(db, "world", name="World", description="Diplomacy, conflict and elections.")
    make_topic(db, "climate", name="Climate", description="Policy, science and energy.")
    db.commit()
    page.goto(f"{live_server.url}/subscribe")
    page.click("button[type=submit]")
    expect(page.locator("#email-errors")).to_contain_text("Enter your email address.")
    expect(page.locator("#topics-errors")).to_contain_text("Choose at least one topic.")
    shoot(page, folder, "subscribe-errors")

    page.fill("#email", "reader@example.com")
    page.check("input[value=climate]")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Check your inbox")
    expect(page.locator(".address")).to_have_text("reader@example.com")
    assert page.url.endswith("/subscribe/check-inbox")
    shoot(page, folder, "check-inbox")
    page.reload()  # a GET: no "resubmit the form?" and no second sign-up
    expect(page.locator(".address")).to_have_text("reader@example.com")


def test_a_broken_link_and_the_preferences_page(live_server, page, db, folder):  # noqa: F811
    world = make_topic(db, "world", name="World")
    reader = make_subscriber(db, "reader@example.com", [world], status="paused")
    create_edition(db, "Friday", [make_update(db, world).id], utcnow() + timedelta(days=2))
    db.commit()
    page.goto(f"{live_server.url}/preferences/this-is-not-a-token")
    expect(page.locator("h2")).to_have_text("Get a new link by email")
    shoot(page, folder, "bad-link")

    page.goto(f"{live_server.url}/preferences/{token(Purpose.PREFERENCES, reader.id)}")
    expect(page.locator(".status-line .badge")).to_have_text("Paused")
    shoot(page, folder, "preferences-paused")


def test_the_editor_dashboard_and_a_subscriber_page(live_server, page, db, folder):  # noqa: F811
    editor = make_editor(db, "ed@example.com", name="Erin Editor")
    db.commit()
    log_in_page(page, live_server.url, editor.email)
    expect(page.locator(".next-steps")).to_be_visible()
    shoot(page, folder, "dashboard-empty")

    world = make_topic(db, "world", name="World")
    for status in ("active", "active", "pending", "paused", "bounced", "unsubscribed"):
        make_subscriber(db, topics=[world], status=status)
    reader = make_subscriber(db, "someone.with.a.long.address@example.com", [world])
    create_edition(db, "Friday briefing", [make_update(db, world).id],
                   utcnow() + timedelta(days=2))
    db.commit()
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator(".glance-stat").first).to_contain_text("3")
    shoot(page, folder, "dashboard")

    page.goto(f"{live_server.url}/admin/subscribers")
    shoot(page, folder, "subscribers")
    page.goto(f"{live_server.url}/admin/subscribers/{reader.id}")
    expect(page.locator("h1")).to_have_text(reader.email)
    shoot(page, folder, "subscriber")


def test_on_a_phone_the_editor_menu_is_one_row(live_server, page, db, folder):  # noqa: F811
    editor = make_editor(db, "ed@example.com", role="admin", name="Ada Admin")
    db.commit()
    log_in_page(page, live_server.url, editor.email)
    page.set_viewport_size(PHONE)
    nav = page.locator("nav.admin-nav")
    links = nav.locator("a")
    first, last = links.first.bounding_box(), links.last.bounding_box()
    assert abs(first["y"] - last["y"]) < 2, "the menu wrapped onto another line"
    assert nav.evaluate("n => n.scrollWidth > n.clientWidth")  # it scrolls sideways instead
    page.screenshot(path=str(folder / "admin-nav-phone.png"))


def test_a_table_wider_than_its_card_says_it_scrolls(live_server, page, db, folder):  # noqa: F811
    editor = make_editor(db, "ed@example.com", name="Erin Editor")
    world = make_topic(db, "world", name="World")
    create_edition(db, "A subject long enough to need room " * 3, [make_update(db, world).id],
                   utcnow() + timedelta(days=1))
    db.commit()
    log_in_page(page, live_server.url, editor.email)
    page.set_viewport_size(PHONE)
    page.reload()
    wide = page.locator(".table-wrap.is-scrollable")
    expect(wide.first).to_be_attached()
    expect(page.locator(".scroll-hint").first).to_be_visible()
    page.screenshot(path=str(folder / "table-scroll-phone.png"), full_page=True)


def test_the_edition_form_reorders_updates_and_the_edition_keeps_that_order(
        live_server, page, db, folder):  # noqa: F811
    from sqlalchemy import select

    from newsletter.models import Edition

    editor = make_editor(db, "ed@example.com", name="Erin Editor")
    world, climate = make_topic(db, "world", name="World"), make_topic(db, "climate", name="Climate")
    first = make_update(db, world, headline="World goes first")
    second = make_update(db, climate, headline="Climate comes second")
    db.commit()
    log_in_page(page, live_server.url, editor.email)
    page.goto(f"{live_server.url}/admin/editions/new")
    headlines = page.locator("#update-order .update-choice strong")
    expect(headlines).to_have_text(["World goes first", "Climate comes second"])

    page.get_by_role("button", name="Move “Climate comes second” up").click()
    expect(headlines).to_have_text(["Climate comes second", "World goes first"])
    shoot(page, folder, "edition-form-reordered")
    page.get_by_role("button", name="Review and schedule").click()
    expect(page.locator("ol.plain-list li")).to_have_text(
        ["Climate Climate comes second", "World World goes first"])
    page.click("#confirm-button")
    expect(page.locator("h1")).to_be_visible()

    edition = db.scalars(select(Edition)).one()
    assert [item.update_id for item in edition.items] == [second.id, first.id]


def test_the_composer_status_names_the_problem_the_preview_shows(live_server, page, db,  # noqa: F811
                                                                   folder):
    editor = make_editor(db, "ed@example.com", name="Erin Editor")
    make_topic(db, "world", name="World")
    db.commit()
    log_in_page(page, live_server.url, editor.email)
    page.goto(f"{live_server.url}/admin/topics/world/updates/new")
    state = page.locator("#preview-state")
    expect(state).to_have_text("Preview not updated: Add a headline.")
    page.fill("#headline", "Talks resume in Geneva")
    expect(state).to_have_text("Preview is up to date.")
    page.fill("#headline", "")
    expect(state).to_have_text("Preview not updated: Add a headline.")
    shoot(page, folder, "composer-problem")


def test_the_scheduled_to_send_flash_goes_once_the_edition_is_sent(
        live_server, page, db, folder):  # noqa: F811
    from sqlalchemy import select

    from newsletter import jobs
    from newsletter.models import Edition

    editor = make_editor(db, "ed@example.com", name="Erin Editor")
    make_update(db, make_topic(db, "world", name="World"), headline="Talks resume")
    db.commit()
    log_in_page(page, live_server.url, editor.email)
    page.goto(f"{live_server.url}/admin/editions/new")
    page.get_by_role("button", name="Review and send now").click()
    page.click("#confirm-button")
    flash = page.locator(".flash.edition-scheduled")
    expect(flash).to_have_text("Edition scheduled to send now.")

    jobs.start_edition_job(db.scalars(select(Edition.id)).one())  # what the worker does

    expect(page.locator("#edition-status")).to_have_text("sent")
    expect(flash).to_be_hidden()
