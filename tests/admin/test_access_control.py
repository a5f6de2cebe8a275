"""Every /admin and /api route refuses the wrong person, generated from the URL map.

A route added later is picked up automatically: nobody has to remember to list it here.
"""

from __future__ import annotations

import re
import tempfile

import pytest
from flask import Flask

from newsletter import create_app
from newsletter.admin import OPEN_ENDPOINTS, is_admin_endpoint
from newsletter.config import Settings
from tests.factories import make_editor
from tests.support.admin import Browser, csrf_token, log_in

VALUES = {"int": "1", "default": "x", "string": "x", "path": "x"}
_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _url_map_app() -> Flask:
    """An app only to read its URL map (no database or Redis is touched)."""
    instance = tempfile.mkdtemp(prefix="urlmap")
    return create_app(Settings.from_env(instance=instance, database_url="sqlite://",
                                        redis_url="redis://127.0.0.1:6379/15"))


def _concrete(rule: str) -> str:
    return _ARG.sub(lambda m: VALUES.get(m.group(1) or "default", "x"), rule)


def _routes(prefix: str) -> list[tuple[str, str, str]]:
    app = _url_map_app()
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, _concrete(rule.rule), rule.endpoint))
    return sorted(out)


def pytest_generate_tests(metafunc):  # type: ignore[no-untyped-def]
    """Parametrize from the live URL map (collected at test collection time)."""
    if "admin_route" in metafunc.fixturenames:
        routes = [r for r in _routes("/admin") if r[2] not in OPEN_ENDPOINTS]
        metafunc.parametrize("admin_route", routes, ids=[f"{m} {p}" for m, p, _ in routes])
    if "admin_only_route" in metafunc.fixturenames:
        routes = [r for r in _routes("/admin") if is_admin_endpoint(r[2])]
        metafunc.parametrize("admin_only_route", routes, ids=[f"{m} {p}" for m, p, _ in routes])
    if "api_route" in metafunc.fixturenames:
        routes = [r for r in _routes("/api") if r[2] != "api.openapi"]
        metafunc.parametrize("api_route", routes, ids=[f"{m} {p}" for m, p, _ in routes])


def _refused_anonymous(response) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_anonymous_visitors_are_refused_on_every_admin_route(client, admin_route):
    method, path, _endpoint = admin_route
    data = {"csrf_token": csrf_token(client)}  # a valid token: the login check must refuse
    response = client.open(path, method=method, data=data if method != "GET" else None)
    assert _refused_anonymous(response), (method, path, response.status_code)


def test_editors_are_refused_on_admin_only_routes(app, db, admin_only_route):
    method, path, _endpoint = admin_only_route
    make_editor(db, "plain@newsroom.example", role="editor")
    db.commit()
    client = app.test_client()
    log_in(client, "plain@newsroom.example")
    browser = Browser(client)
    response = browser.get(path) if method == "GET" else browser.post(path, {"active": "0"})
    assert response.status_code == 403, (method, path)


def test_admin_only_routes_exist():
    """The role check above must have something to check."""
    assert any(is_admin_endpoint(r[2]) for r in _routes("/admin"))


def test_every_api_route_needs_a_token(client, api_route):
    method, path, _endpoint = api_route
    response = client.open(path, method=method, json={} if method != "GET" else None)
    assert response.status_code == 401, (method, path, response.status_code)
    assert "token" in response.json["error"]


def test_every_api_route_refuses_a_forged_token(client, api_route):
    method, path, _endpoint = api_route
    response = client.open(path, method=method, json={} if method != "GET" else None,
                           headers={"Authorization": "Bearer nl_forged-token"})
    assert response.status_code == 401, (method, path)


@pytest.mark.parametrize("path", ["/api/v1/openapi.json"])
def test_the_openapi_document_is_public(client, path):
    assert client.get(path).status_code == 200
