"""create_app: settings come from the environment unless given; test config overrides."""

from __future__ import annotations

import pytest

from newsletter import create_app
from newsletter.config import Settings


def test_test_config_overrides_defaults(settings):
    app = create_app(settings, {"TESTING": True, "LOGIN_LIMIT": "1 per day"})
    assert app.testing
    assert app.config["LOGIN_LIMIT"] == "1 per day"
    app.extensions["newsletter"].engine.dispose()


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = Settings.from_env(instance=tmp_path)
    second = Settings.from_env(instance=tmp_path)
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_embedded_defaults_without_environment(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "BASE_URL", "PORT", "MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env(instance=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'newsletter.db'}"
    assert settings.redis_url is None and settings.smtp_url is None
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.outbox == tmp_path / "outbox"


def test_retry_delays_are_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SMTP_RETRY_DELAYS", "5, 10,20")
    assert Settings.from_env(instance=tmp_path).smtp_retry_delays == (5, 10, 20)


def test_security_headers_are_on_every_page(client):
    response = client.get("/subscribe")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_hsts_is_sent_when_the_site_is_https_and_not_on_plain_http(settings):
    from dataclasses import replace

    https = create_app(settings, {"TESTING": True}).test_client().get("/subscribe")
    assert https.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = create_app(replace(settings, base_url="http://127.0.0.1:8000"), {"TESTING": True})
    assert "Strict-Transport-Security" not in plain.test_client().get("/subscribe").headers


def test_behind_a_trusted_proxy_the_client_address_comes_from_x_forwarded_for(settings):
    from dataclasses import replace

    from flask import request

    app = create_app(replace(settings, trusted_proxies=1), {"TESTING": True})

    @app.get("/_whoami")
    def whoami() -> str:
        return request.remote_addr or ""

    response = app.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.9"},
                                     environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert response.text == "203.0.113.9"
    app.extensions["newsletter"].engine.dispose()


@pytest.mark.embedded
def test_the_embedded_redis_keeps_its_socket_under_instance(embedded_app):
    runtime = embedded_app.extensions["newsletter"]
    instance = runtime.settings.instance
    assert runtime.redis_url == f"unix://{instance / 'redis' / 'redis.socket'}"
    assert runtime.redis.ping()
    assert (instance / "redis" / "redis.pid").exists()
