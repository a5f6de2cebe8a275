"""Logging editors in: one helper for test clients, one for Playwright pages.

Both go through the real login form with its real CSRF token, so a broken form breaks them.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/admin/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no csrf token on {path}"
    return match.group(1)


def submit_login(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    """POST the login form as a browser would; the caller checks the outcome."""
    return client.post("/admin/login", data={"email": email, "password": password,
                                             "csrf_token": csrf_token(client)})


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    response = submit_login(client, email, password)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def log_in_page(page, base: str, email: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """The same login through Chromium (a Playwright `Page`), landing on the newsroom."""
    from playwright.sync_api import expect

    page.goto(f"{base}/admin/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Hello")


class Browser:
    """A test client that sends the CSRF token with every form, like the pages do."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_token(client, "/admin/")

    def get(self, path: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, **kw):  # type: ignore[no-untyped-def]
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kw)
