"""Every public page, error pages included, carries the security headers; no inline script."""

from __future__ import annotations

import re

import pytest

from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import token


@pytest.fixture
def urls(db) -> list[str]:  # type: ignore[no-untyped-def]
    row = make_subscriber(db, "reader@example.com", [make_topic(db, "world")])
    pending = make_subscriber(db, "pending@example.com", [], status="pending")
    db.commit()
    return [
        "/", "/subscribe", "/subscribe?topic=world", "/static/site.css",
        f"/confirm/{token(Purpose.CONFIRM, pending.id)}",
        f"/preferences/{token(Purpose.PREFERENCES, row.id)}",
        f"/unsubscribe/{token(Purpose.UNSUBSCRIBE, row.id)}",
        "/confirm/not-a-token", "/no-such-page",
    ]


def test_every_page_has_the_security_headers(client, urls) -> None:
    for url in urls:
        response = client.get(url)
        response.close()
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, url
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert response.headers.get("X-Content-Type-Options") == "nosniff", url
        assert response.headers.get("Referrer-Policy") == "same-origin", url
        assert response.headers.get("X-Frame-Options") == "DENY", url


def test_pages_have_no_inline_script_or_style_the_policy_would_block(client, urls) -> None:
    for url in urls:
        response = client.get(url)
        html = response.get_data(as_text=True)
        response.close()
        if not html.lstrip().startswith("<!doctype"):
            continue
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url


def test_no_page_redirects_off_site(client, urls) -> None:
    for url in urls:
        for evil in ("next=https://evil.example", "next=//evil.example", "url=https://evil.example"):
            response = client.get(url + ("&" if "?" in url else "?") + evil)
            response.close()
            location = response.headers.get("Location", "")
            assert "evil.example" not in location, url
