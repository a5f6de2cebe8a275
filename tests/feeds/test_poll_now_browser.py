"""In Chromium: add a feed through the form, then "Poll now" shows progress until done,
updating the row from the JSON status endpoint (static feeds.js, no reload, strict CSP)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_support import browser, page, shoot  # noqa: F401 - fixtures
from tests.factories import make_editor
from tests.support.admin import log_in_page

from .samples import items, rss2
from .server import Route

pytestmark = pytest.mark.browser


def test_poll_now_shows_progress_until_done(db, topic, live_server, feed_server, work,
                                            page, artifacts):  # noqa: F811
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.on("pageerror", lambda exc: failed.append(str(exc)))  # a script error or CSP refusal
    make_editor(db, email="poller@example.com")
    db.commit()
    url = feed_server.add("/browser.xml", Route(rss2(items(3))))
    log_in_page(page, live_server.url, "poller@example.com")
    page.goto(f"{live_server.url}/admin/topics/climate/feeds")
    page.fill("#url", url)
    page.fill("#poll_minutes", "15")
    page.click("text=Add feed")
    expect(page.locator("[data-feed-row]")).to_have_count(1)
    work()  # the first poll, queued when the feed was added
    page.reload()
    row = page.locator("[data-feed-row]")
    expect(row.locator('[data-field="entries_found"]')).to_have_text("3")

    feed_server.add("/browser.xml", Route(rss2(items(5))))
    # the page shows "Queued…" before its POST lands: wait for the answer, so the job is
    # in the queue before the worker runs
    with page.expect_response(lambda r: r.url.endswith("/poll") and r.request.method == "POST"):
        row.get_by_role("button", name="Poll now").click()
    expect(row.locator('[data-field="progress"]')).to_have_text("Queued…")
    work()
    expect(row.locator('[data-field="progress"]')).to_have_text("Done: ok, 2 new, 0 updated")
    expect(row.locator('[data-field="entries_found"]')).to_have_text("5")
    expect(row.get_by_role("button", name="Poll now")).to_be_enabled()
    shoot(page, artifacts / "feeds", "feeds-page")
    page.goto(f"{live_server.url}/admin/topics/climate/articles")
    expect(page.locator(".story")).not_to_have_count(0)
    shoot(page, artifacts / "feeds", "inbox")
    assert failed == []
