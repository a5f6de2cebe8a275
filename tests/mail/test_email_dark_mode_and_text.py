"""Edition emails in dark mode, a featured card that is one link with the article title as
alt text, and a plain-text part wrapped at 78 columns (URLs excepted)."""

from __future__ import annotations

import re

import pytest

from newsletter.mail.edition import read_copy, render_items
from newsletter.mail.render import wrap_text
from tests.browser_support import DESKTOP, PHONE, browser  # noqa: F401
from tests.mail.realistic import item_context

PICTURE = (b'<svg xmlns="http://www.w3.org/2000/svg" width="600" height="300">'
           b'<rect width="600" height="300" fill="#4f7cac"/></svg>')


def _copy() -> tuple[str, str]:
    rendered = render_items("Your Tuesday briefing", [item_context(n) for n in ("World", "Tech")],
                            list_name="The Briefing", base_url="https://news.example.test")
    return read_copy(rendered, 0b11, "https://news.example.test/preferences/" + "p" * 60,
                     "https://news.example.test/unsubscribe/" + "u" * 60)


def test_the_html_declares_light_and_dark_support():
    _, html = _copy()
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert "background-color: #111827 !important" in html


def test_the_featured_image_has_the_article_title_as_alt_text():
    _, html = _copy()
    title = item_context("World")["featured"]["title"]
    tags = [t for t in re.findall(r"<img [^>]+>", html) if "world/0.jpg" in t]
    assert len(tags) == 1
    assert re.search(r'alt="([^"]*)"', tags[0]).group(1) == title


def test_the_whole_featured_card_is_one_link():
    _, html = _copy()
    card = re.search(r'<a [^>]*class="nl-feature-link"[^>]*>.*?</a>', html, re.S)
    assert card, "no featured card link"
    inside = card.group(0)
    assert 'href="https://news.example/world/0"' in inside
    assert "<img" in inside and "min read" in inside and "France 24" in inside


def test_the_plain_text_part_is_wrapped_at_78_columns_except_urls():
    text, _ = _copy()
    long_lines = [line for line in text.splitlines() if len(line) > 78]
    assert long_lines, "the test needs URLs longer than a line"
    assert all("https://" in line and " " not in line.split("https://", 1)[1]
               for line in long_lines), long_lines
    assert "  * The US and Russia faced off" in text
    assert "\n    " in text  # bullets keep their hanging indent


def test_wrapping_never_breaks_a_url():
    url = "https://news.example.test/" + "x" * 100
    assert wrap_text("Read it here: " + url) == "Read it here:\n" + url


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_the_email_follows_the_readers_colour_scheme(browser, artifacts, scheme):  # noqa: F811
    _, html = _copy()
    for size, name in ((DESKTOP, "1280"), (PHONE, "390")):
        context = browser.new_context(viewport=size, color_scheme=scheme)
        try:
            page = context.new_page()
            page.route("**/*.jpg", lambda route: route.fulfill(
                status=200, content_type="image/svg+xml", body=PICTURE))
            page.route("**/*.png", lambda route: route.fulfill(
                status=200, content_type="image/svg+xml", body=PICTURE))
            page.set_content(html, wait_until="load")
            card = page.evaluate("getComputedStyle(document.querySelector('.nl-topic')).backgroundColor")
            text = page.evaluate("getComputedStyle(document.querySelector('.nl-topic h2')).color")
            page.screenshot(path=str(artifacts / f"email-{scheme}-{name}.png"), full_page=True)
        finally:
            context.close()
        if scheme == "dark":
            assert card == "rgb(17, 24, 39)" and text == "rgb(229, 231, 235)"
        else:
            assert card == "rgb(255, 255, 255)" and text != "rgb(229, 231, 235)"
