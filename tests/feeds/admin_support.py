"""Log an editor in through the real login form (CSRF off only for this helper's POST)."""

from __future__ import annotations

import re

from tests.factories import make_editor


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, db) -> None:
    editor = make_editor(db, email="feeds-editor@example.com", password="correct horse battery")
    db.commit()
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post("/admin/login", data={
        "email": editor.email, "password": "correct horse battery", "csrf_token": csrf_from(page)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
