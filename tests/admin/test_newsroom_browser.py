"""The editors' side in Debian's Chromium: from login to a sent edition, then pause and resume.

Runs on PostgreSQL, Redis, a real RQ worker and the SMTP sink. The browser lives in
America/New_York, so the edition form picks that zone by itself; the edition page's
progress comes from static/admin.js polling the status endpoint (no reloads).
Screenshots (1280 px and 390 px) land in test-artifacts/admin/.
"""

from __future__ import annotations

import dataclasses
import io
import re
import struct
import zlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from newsletter.jobs import tick
from newsletter.models import Delivery, Edition, Topic, TopicUpdate, utcnow
from newsletter.runtime import WORKER_CLASS
from newsletter.subscribers.importer import import_subscribers
from tests.browser_support import (  # noqa: F401
    CHROMIUM_ARGS,
    browser,  # noqa: F401 - fixture
    shoot,
)
from tests.factories import make_editor, make_inbox, make_subscriber, make_topic, make_update
from tests.support.admin import log_in_page

pytestmark = pytest.mark.browser
NEW_YORK = ZoneInfo("America/New_York")
SEED_BULLETS = [
    "The US and Russia faced off in the United Nations on Monday, with both sides accusing "
    "each other of ramping up tensions over Ukraine.",
    "Russia’s UN diplomat accused the US of “whipping up hysterics” even as some 100,000 "
    "Russian troops remain amassed on Ukraine’s border.",
    "But amid the impassioned war of words, diplomatic channels remained open behind the scenes.",
    "US Secretary of State Antony Blinken and Russian Foreign Minister Sergey Lavrov are "
    "scheduled to talk over the phone today.",
]
SEED_BACKGROUND = [
    "The Kremlin wants NATO to cease military activity in Eastern Europe.",
    "The US and NATO have flatly refused, and say Eastern European countries should be free "
    "to dictate their own fate.",
    "NATO promised Ukraine and Georgia in 2008 that they could join the alliance.",
]
# inbox order is newest first: France 24 is the oldest, as in the seed page
SEED_INBOX = [
    ("Financial Times", "US and Russia clash at the UN over Ukraine", 5),
    ("The Washington Post", "Diplomacy continues behind the scenes", 6),
    ("The New York Times", "What Russia wants from NATO", 7),
    ("France 24", "Blinken, Lavrov to hold fresh talks on Ukraine crisis as UK’s Johnson heads "
     "to Kyiv", 3),
    ("Reuters", "Troops remain massed on the border", 2),
]


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """Small batches, so a 2,000-person edition takes twenty jobs and can be paused midway."""
    return dataclasses.replace(settings, batch_size=100)


def _png(width: int = 640, height: int = 320) -> bytes:
    """A striped test image, made here: the browser never reaches the internet."""
    rows = b"".join(
        b"\x00" + bytes((30 + (y // 20) * 12 % 200, 64, 140)) * width for y in range(height))
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) \
        + chunk(b"IEND", b"")


@pytest.fixture
def newsroom_page(browser):  # type: ignore[no-untyped-def]  # noqa: F811
    """A browser tab in New York that records script errors and CSP violations."""
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  timezone_id="America/New_York", locale="en-US")
    context.set_default_timeout(20000)
    image = _png()
    context.route("https://img.example/**", lambda route: route.fulfill(
        status=200, body=image, content_type="image/png"))
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}")
            if msg.type == "error" and "img.example" not in msg.text else None)
    page.problems = problems  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


def top(page: Page) -> None:
    """Full-page shots keep the scroll position; start them at the top."""
    page.evaluate("window.scrollTo(0, 0)")


def run_jobs(runtime, max_jobs: int | None = None) -> None:  # type: ignore[no-untyped-def]
    WORKER_CLASS(runtime.queues, connection=runtime.redis).work(
        burst=True, logging_level="WARNING", max_jobs=max_jobs)


def type_list(page: Page, field: str, items: list[str]) -> None:
    """Fill the JS list editor the way a person does: type, Enter, type."""
    for i, text in enumerate(items):
        if i:
            page.press(f"#{field}-{i - 1}", "Enter")
        page.fill(f"#{field}-{i}", text)


@pytest.mark.slow
def test_compose_schedule_in_new_york_and_watch_it_send(
        newsroom_page, live_server, db, runtime, smtp, artifacts):
    page, base = newsroom_page, live_server.url
    folder = artifacts / "admin"
    make_editor(db, "erin@newsroom.example", name="Erin Editor")
    db.commit()
    log_in_page(page, base, "erin@newsroom.example")

    # a topic, from the topics page
    page.goto(f"{base}/admin/topics/new")
    page.fill("#slug", "ukraine")
    page.fill("#name", "Russia and Ukraine")
    page.fill("#description", "Diplomacy, the front line and what it means for Europe.")
    page.click("text=Create topic")
    expect(page.locator(".flash")).to_contain_text("created")

    # feeds brought articles in; readers follow the topic
    topic = db.scalar(select(Topic).where(Topic.slug == "ukraine"))
    other = make_topic(db, "climate", name="Climate")
    articles = make_inbox(db, topic, SEED_INBOX)
    for i in range(3):
        make_subscriber(db, f"reader{i}@example.com", [topic])
    make_subscriber(db, "climate-only@example.com", [other])
    db.commit()

    # the composer, in the seed format, from inbox articles
    page.goto(f"{base}/admin/topics")
    page.click('a[href="/admin/topics/ukraine/updates/new"]')
    page.fill("#headline", "Can Diplomacy Still Avert War in Ukraine?")
    page.fill("#lede", "As Russian forces prepare for a potential invasion of Ukraine, a "
                       "diplomatic resolution looks remote—but talks continue this week.")
    type_list(page, "bullets", [SEED_BULLETS[1], SEED_BULLETS[0], *SEED_BULLETS[2:]])
    page.locator("#bullets-rows li").nth(1).get_by_role("button", name="Move up").click()
    type_list(page, "background", SEED_BACKGROUND)
    for article in articles[:4]:
        page.check(f'input[name=articles][value="{article.id}"]')
    page.check(f'input[name=featured][value="article:{articles[3].id}"]')
    preview = page.frame_locator("#composer-preview")
    expect(preview.locator("body")).to_contain_text(
        "Financial Times, The Washington Post, The New York Times + 1 more")
    expect(preview.locator("body")).to_contain_text("4 articles on this topic")
    expect(preview.locator("body")).to_contain_text("3 min read")
    expect(preview.locator("h2")).to_have_text("Can Diplomacy Still Avert War in Ukraine?")
    expect(page.locator("#preview-state")).to_have_text("Preview is up to date.")
    page.set_viewport_size({"width": 1280, "height": 1700})  # the whole frame in view
    page.locator(".composer-preview").screenshot(path=str(folder / "composer-preview-desktop.png"))
    page.click("[data-preview-width=phone]")
    expect(page.locator("#composer-preview")).to_have_class(re.compile(r"\bphone\b"))
    page.locator(".composer-preview").screenshot(path=str(folder / "composer-preview-phone.png"))
    page.click("[data-preview-width=desktop]")
    page.set_viewport_size({"width": 1280, "height": 900})
    top(page)
    shoot(page, folder, "composer")
    page.click("text=Save and publish")
    expect(page.locator(".flash")).to_contain_text("saved as published")

    update = db.scalar(select(TopicUpdate))
    assert update.bullets == SEED_BULLETS
    assert update.background == SEED_BACKGROUND
    assert [s.outlet for s in update.sources] == [a[0] for a in SEED_INBOX[:4]]
    assert update.featured.outlet == "France 24" and update.featured.reading_minutes == 3
    assert update.curator_name == "Erin Editor"

    # the edition form: the browser's zone is chosen for us; send two minutes from now
    page.goto(f"{base}/admin/editions/new")
    expect(page.locator("#timezone")).to_have_value("America/New_York")
    expect(page.locator("#estimate")).to_have_text("3 subscribers")
    send_local = (datetime.now(NEW_YORK) + timedelta(minutes=2)).replace(second=0, microsecond=0)
    page.fill("#subject", "Your morning briefing")
    page.fill("#send_at", send_local.strftime("%Y-%m-%dT%H:%M"))
    top(page)
    shoot(page, folder, "edition-form")
    page.click("text=Review and schedule")
    send_utc = send_local.astimezone(UTC)
    expect(page.locator("#send-at-utc")).to_have_text(f"= {send_utc:%Y-%m-%d %H:%M} UTC")
    expect(page.locator("#review-recipients")).to_have_text("3")
    top(page)
    shoot(page, folder, "edition-review")
    page.click("#confirm-button")
    expect(page.locator("#edition-status")).to_have_text("scheduled")
    edition = db.scalar(select(Edition))
    assert edition.send_at == send_utc and edition.timezone == "America/New_York"

    # time moves on: the scheduler's tick starts it; the page notices by itself
    tick(now=utcnow() + timedelta(minutes=3))
    expect(page.locator("#edition-status")).to_have_text("sending")
    expect(page.locator("[data-stat=total]")).to_have_text("3")
    run_jobs(runtime)
    expect(page.locator("#edition-status")).to_have_text("sent")
    expect(page.locator("[data-stat=percent]")).to_have_text("100%")
    expect(page.locator("#progress")).to_have_attribute("value", "3")
    expect(page.locator("#action-pause")).to_be_hidden()
    expect(page.locator("#action-cancel")).to_be_hidden()
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == [
        f"reader{i}@example.com" for i in range(3)]
    page.fill("#preview_email", "reader0@example.com")
    page.click("text=Show")
    expect(page.frame_locator("iframe.desktop").locator("h2")).to_have_text(
        "Can Diplomacy Still Avert War in Ukraine?")
    expect(page.frame_locator("iframe.phone").locator("h2")).to_have_text(
        "Can Diplomacy Still Avert War in Ukraine?")
    for width in ("desktop", "phone"):  # the frames themselves (full-page shots can blank them)
        page.locator(f"iframe.{width}").screenshot(path=str(folder / f"edition-preview-{width}.png"))
    top(page)
    shoot(page, folder, "edition-page-sent")
    assert page.problems == []  # type: ignore[attr-defined]


@pytest.mark.slow
def test_pause_and_resume_in_the_middle_of_a_larger_edition(
        newsroom_page, live_server, db, runtime, smtp, artifacts):
    page, base = newsroom_page, live_server.url
    make_editor(db, "erin@newsroom.example", name="Erin Editor")
    world = make_topic(db, "world", name="World")
    make_update(db, world, "The world this morning")
    db.commit()
    rows = io.StringIO("".join(f"reader{i}@example.com,world\n" for i in range(2000)))
    assert import_subscribers(db, rows, "active").created == 2000
    db.commit()
    log_in_page(page, base, "erin@newsroom.example")

    page.goto(f"{base}/admin/editions/new")
    page.click("text=Review and send now")
    expect(page.locator("#review-recipients")).to_have_text("2,000")
    page.click("#confirm-button")
    expect(page.locator("#edition-status")).to_have_text("scheduled")

    run_jobs(runtime, max_jobs=1)  # the start job: render once, fan out, enqueue 20 batches
    expect(page.locator("#edition-status")).to_have_text("sending")
    run_jobs(runtime, max_jobs=1)  # one batch of 100
    expect(page.locator("[data-stat=sent]")).to_have_text("100")
    expect(page.locator("[data-stat=percent]")).to_have_text("5%")

    page.click("#action-pause button")
    expect(page.locator("#edition-status")).to_have_text("paused")
    expect(page.locator("#action-resume")).to_be_visible()
    expect(page.locator("#action-pause")).to_be_hidden()
    run_jobs(runtime)  # the other batches find the edition paused and stop
    edition_id = db.scalar(select(Edition.id))
    sent = db.scalar(select(func.count()).select_from(Delivery)
                     .where(Delivery.edition_id == edition_id, Delivery.status == "sent"))
    assert sent == 100 and len(smtp.messages) == 100
    top(page)
    shoot(page, artifacts / "admin", "edition-page-paused")

    page.click("#action-resume button")
    expect(page.locator("#edition-status")).to_have_text("sending")
    run_jobs(runtime)
    expect(page.locator("#edition-status")).to_have_text("sent")
    expect(page.locator("[data-stat=percent]")).to_have_text("100%")
    expect(page.locator("[data-stat=sent]")).to_have_text("2,000")
    recipients = [m.message["To"] for m in smtp.messages]
    assert len(recipients) == len(set(recipients)) == 2000
    assert page.problems == []  # type: ignore[attr-defined]
