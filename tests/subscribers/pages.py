"""Small helpers for driving the public forms with Flask's test client (CSRF on)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from newsletter.subscribers.tokens import Purpose, Tokens

SECRET = "test-secret-key-not-for-production"  # the `settings` fixture's SECRET_KEY


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token on the page"
    return match.group(1)


def token(purpose: Purpose, subscriber_id: int) -> str:
    return Tokens(SECRET).make(purpose, subscriber_id)


def post_form(client: FlaskClient, page: str, data: dict, action: str | None = None,  # type: ignore[no-untyped-def]
              *, follow: bool = False):
    """GET the page for its CSRF token, then POST `data` to `action` (default: the page)."""
    html = client.get(page).get_data(as_text=True)
    return client.post(action or page, data={**data, "csrf_token": csrf_token(html)},
                       follow_redirects=follow)


def sign_up(client: FlaskClient, email: str, topics: list[str]):  # type: ignore[no-untyped-def]
    """Submit the sign-up form and follow its redirect to the check-your-inbox page."""
    return post_form(client, "/subscribe", {"email": email, "topics": topics}, follow=True)
