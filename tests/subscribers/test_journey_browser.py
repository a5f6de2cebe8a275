"""The subscriber journey in Debian's Chromium, on PostgreSQL, Redis, a real worker and SMTP sink.

subscribe (two topics) → confirmation email → confirm → change topics (including one added
after sign-up) → one-click unsubscribe as a mail client does it → resubscribe. Screenshots of
every page land in test-artifacts/journey/ at 1280 px and 390 px.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from newsletter.models import Subscriber, SubscriberStatus, Topic
from tests.browser_support import browser, page, shoot  # noqa: F401
from tests.factories import make_topic, make_update

ADDRESS = "Reader.One@Example.com"


def local(url: str, live_url: str) -> str:
    """Links in mail point at BASE_URL; follow the same path on the live server."""
    parts = urlsplit(url)
    return live_url + parts.path + (f"?{parts.query}" if parts.query else "")


def link_in(message: EmailMessage, path_prefix: str) -> str:
    text = message.get_body(("plain",)).get_content()
    match = re.search(rf"https://news\.example\.test{path_prefix}[^\s]+", text)
    assert match, f"no {path_prefix} link in:\n{text}"
    return match.group(0)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def one_click(url: str) -> tuple[int, str]:
    """What Gmail does with List-Unsubscribe-Post: a bare POST, no cookies, no redirects."""
    request = urllib.request.Request(
        url, data=b"List-Unsubscribe=One-Click", method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def subscriber(db) -> Subscriber:  # type: ignore[no-untyped-def]
    db.expire_all()
    row = db.scalar(select(Subscriber))
    assert row is not None
    return row


def topic_slugs(db, row: Subscriber) -> set[str]:  # type: ignore[no-untyped-def]
    ids = {s.topic_id for s in row.subscriptions}
    return set(db.scalars(select(Topic.slug).where(Topic.id.in_(ids))))


@pytest.fixture
def topics(db):  # type: ignore[no-untyped-def]
    world = make_topic(db, "world", name="World", description="Wars, treaties and elections.")
    climate = make_topic(db, "climate", name="Climate",
                         description="Emissions, energy and the weather that follows.")
    tech = make_topic(db, "tech", name="Technology",
                      description="Chips, software and the companies behind them.")
    make_update(db, world, "Ceasefire talks resume in Geneva")
    make_update(db, climate, "Record heat pushes grid to its limits")
    db.commit()
    return world, climate, tech


@pytest.mark.browser
def test_subscriber_journey_in_the_browser(  # noqa: PLR0915
    page: Page, live_server, smtp, work, db, topics, artifacts  # noqa: F811
) -> None:
    shots = artifacts / "journey"
    base = live_server.url

    # 1. Sign up for two topics; every topic shows its name, description and latest headline.
    page.goto(f"{base}/subscribe?topic=climate")
    expect(page.get_by_role("heading", level=1)).to_contain_text("only on what you follow")
    expect(page.get_by_text("Record heat pushes grid to its limits")).to_be_visible()
    expect(page.get_by_text("Chips, software and the companies behind them.")).to_be_visible()
    expect(page.locator("input[name=topics][value=climate]")).to_be_checked()
    expect(page.locator("input[name=topics][value=world]")).not_to_be_checked()
    shoot(page, shots, "01-subscribe")
    page.get_by_label("Email address").fill(ADDRESS)
    page.locator("input[name=topics][value=world]").check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    shoot(page, shots, "02-check-inbox")

    # 2. The worker records the sign-up and sends the confirmation email (links to BASE_URL).
    work()
    row = subscriber(db)
    assert row.status == SubscriberStatus.PENDING
    assert topic_slugs(db, row) == {"world", "climate"}
    inbox = smtp.inbox("reader.one@example.com")
    assert len(inbox) == 1
    mail = inbox[0]
    assert mail["Subject"].startswith("Confirm your subscription")
    confirm_url = local(link_in(mail, "/confirm/"), base)
    page.goto("about:blank")  # set_content keeps the current page's CSP; the mail has none
    page.set_content(mail.get_body(("html",)).get_content())
    expect(page.get_by_role("link", name="Confirm my subscription")).to_be_visible()
    shoot(page, shots, "02b-confirmation-email")
    unsubscribe_url = local(mail["List-Unsubscribe"].strip("<>"), base)

    # 3. Opening the link (as a scanner would) changes nothing; the button confirms.
    page.goto(confirm_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
    shoot(page, shots, "03-confirm")
    assert subscriber(db).status == SubscriberStatus.PENDING
    page.get_by_role("button", name="Yes, subscribe me").click()
    expect(page.get_by_role("status").first).to_contain_text("confirmed")
    assert subscriber(db).status == SubscriberStatus.ACTIVE
    assert "/preferences/" in page.url
    shoot(page, shots, "04-preferences-confirmed")

    # 4. A topic added after sign-up shows up; check it, uncheck another, save.
    make_topic(db, "science", name="Science", description="Discoveries, explained.")
    db.commit()
    page.reload()
    expect(page.locator("input[name=topics][value=science]")).not_to_be_checked()
    page.locator("input[name=topics][value=science]").check()
    page.locator("input[name=topics][value=world]").uncheck()
    page.get_by_role("button", name="Save topics").click()
    saved = page.locator(".flash-success")
    expect(saved).to_contain_text("Added: Science")
    expect(saved).to_contain_text("Removed: World")
    shoot(page, shots, "05-preferences-saved")
    row = subscriber(db)
    assert topic_slugs(db, row) == {"climate", "science"}
    assert row.status == SubscriberStatus.ACTIVE

    # 5. The unsubscribe page asks first (GET changes nothing) …
    page.goto(unsubscribe_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe?")
    shoot(page, shots, "06-unsubscribe")
    assert subscriber(db).status == SubscriberStatus.ACTIVE

    # … and the mail client's one-click POST unsubscribes at once, twice is fine.
    assert one_click(unsubscribe_url) == (200, "unsubscribed\n")
    assert subscriber(db).status == SubscriberStatus.UNSUBSCRIBED
    assert one_click(unsubscribe_url) == (200, "unsubscribed\n")

    # 6. Coming back from the (widely seen) unsubscribe link goes through a confirmation
    #    email; confirming again keeps the chosen topics.
    page.goto(unsubscribe_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    shoot(page, shots, "07-unsubscribed")
    page.get_by_role("button", name="Subscribe again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert subscriber(db).status == SubscriberStatus.UNSUBSCRIBED
    work()  # at most one email per 10 minutes: the first confirmation link still serves
    again = [m for m in smtp.inbox("reader.one@example.com")
             if m["Subject"].startswith("Confirm your subscription")][-1]
    page.goto(local(link_in(again, "/confirm/"), base))
    page.get_by_role("button", name="Yes, subscribe me").click()
    expect(page.get_by_role("status").first).to_contain_text("confirmed")
    shoot(page, shots, "08-resubscribed")
    row = subscriber(db)
    assert row.status == SubscriberStatus.ACTIVE
    assert topic_slugs(db, row) == {"climate", "science"}
