"""The public site in Chromium at 1280 px and 390 px: every page passes axe-core (no serious or
critical violation), Follow leads into a sign-up, "View in browser" opens from a received
email, and the pages work with JavaScript off. Screenshots land in test-artifacts/site/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from newsletter.demo import load_demo
from newsletter.models import Subscriber, Topic, TopicUpdate, utcnow
from tests.browser_support import DESKTOP, PHONE, browser, shoot  # noqa: F401
from tests.delivery.test_end_to_end import send_edition
from tests.factories import make_subscriber, make_token, make_update
from tests.site.helpers import sent_edition

AXE = Path(__file__).resolve().parents[2] / ".venv" / "node" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def site(db, live_server):  # type: ignore[no-untyped-def]
    """The demo newsroom, an earlier update on Ukraine and one sent public edition."""
    load_demo(db, base_url=live_server.url)
    ukraine = db.scalar(select(Topic).where(Topic.slug == "ukraine"))
    older = make_update(db, ukraine, "Russia moves more troops towards the border",
                        lede="Satellite pictures show new deployments near Ukraine's border.")
    older.published_at = utcnow() - timedelta(days=3)
    older.curator_name = "Maya Chen"
    updates = list(db.scalars(select(TopicUpdate).where(TopicUpdate.id != older.id)
                              .order_by(TopicUpdate.id)))
    edition = sent_edition(db, updates[:3], "Tuesday briefing: diplomacy, coal and AI rules")
    db.commit()
    return {"edition": edition.id}


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]  # noqa: F811
    """Pages for axe: the injected script is inline, so this context skips the page's CSP."""
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    context.set_default_timeout(15000)
    try:
        yield context.new_page()
    finally:
        context.close()


def serious_violations(page: Page) -> list[str]:
    assert AXE.exists(), "axe-core is missing: `make axe` (part of `make test`) installs it"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def check_page(page: Page, url: str, folder: Path, name: str, status: int = 200) -> list[Path]:
    response = page.goto(url)
    assert response is not None and response.status == status
    problems = []
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        problems += serious_violations(page)
        page.reload()
    assert problems == []
    # no horizontal scrolling at phone width
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    return shoot(page, folder, name)


@pytest.mark.browser
@pytest.mark.slow
def test_every_public_page_passes_axe_at_desktop_and_phone_width(page, live_server, site,
                                                                 artifacts):
    folder = artifacts / "site"
    base = live_server.url
    shots = []
    shots += check_page(page, f"{base}/", folder, "01-home")
    shots += check_page(page, f"{base}/topics/ukraine", folder, "02-topic")
    shots += check_page(page, f"{base}/archive", folder, "03-archive")
    shots += check_page(page, f"{base}/archive/{site['edition']}", folder, "04-archive-edition")
    shots += check_page(page, f"{base}/topics/nothing-here", folder, "05-not-found", status=404)
    assert all(p.exists() for p in shots)


@pytest.mark.browser
def test_follow_button_leads_into_a_sign_up_with_the_topic_ticked(page, live_server, site, db,
                                                                  work, artifacts):
    page.goto(f"{live_server.url}/topics/climate")
    page.get_by_role("link", name="Follow Climate").first.click()
    expect(page).to_have_url(re.compile(r"/subscribe\?topic=climate$"))
    expect(page.locator("input[name=topics][value=climate]")).to_be_checked()
    expect(page.locator("input[name=topics][value=ukraine]")).not_to_be_checked()
    page.get_by_label("Email address").fill("follower@example.com")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your inbox")
    work()
    subscriber = db.scalar(select(Subscriber).where(Subscriber.email == "follower@example.com"))
    assert subscriber is not None
    assert {s.topic_id for s in subscriber.subscriptions} == {
        db.scalar(select(Topic.id).where(Topic.slug == "climate"))}


@pytest.mark.browser
def test_view_in_browser_opens_the_readers_copy_from_a_received_email(
        page, live_server, site, db, client, smtp, work, artifacts):
    topics = {t.slug: t for t in db.scalars(select(Topic))}
    make_subscriber(db, "reader@example.com", [topics["climate"], topics["markets"]])
    token = make_token(db)
    updates = list(db.scalars(select(TopicUpdate).where(TopicUpdate.curator_name != "")
                              .order_by(TopicUpdate.id)))
    db.commit()
    send_edition(client, token, [u.id for u in updates], subject="Your Wednesday briefing")
    work()
    message = smtp.inbox("reader@example.com")[0]
    html = message.get_body(("html",)).get_content()
    link = re.search(r'<a href="([^"]+)"[^>]*>View in browser</a>', html).group(1)
    page.goto(live_server.url + urlsplit(link).path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Wednesday briefing")
    headings = page.locator("h2.briefing-headline").all_inner_texts()
    expected = [u.headline for u in updates if u.topic.slug in ("climate", "markets")]
    assert headings == expected
    assert serious_violations(page) == []
    shoot(page, artifacts / "site", "06-view-in-browser")


@pytest.mark.browser
def test_topic_page_works_without_javascript(browser: Browser, live_server, site,  # noqa: F811
                                              artifacts):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        nojs = context.new_page()
        nojs.goto(f"{live_server.url}/topics/ukraine")
        expect(nojs.get_by_role("heading", level=1)).to_contain_text("Can Diplomacy")
        more = nojs.locator("details.more-outlets")
        expect(more.locator("ul")).to_be_hidden()
        more.locator("summary").click()
        expect(more.locator("ul")).to_be_visible()
        nojs.locator("details.articles summary").first.click()
        expect(nojs.locator("details.articles ol li").first).to_be_visible()
        nojs.screenshot(path=str(artifacts / "site" / "07-topic-nojs-phone-open.png"),
                        full_page=True)
    finally:
        context.close()
