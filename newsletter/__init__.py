"""Newsletter service: editors curate topic updates, subscribers get their own briefing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from .config import Settings
from .mail.render import TEMPLATE_ROOT
from .runtime import Runtime


def create_app(settings: Settings | None = None, test_config: dict[str, Any] | None = None
               ) -> Flask:
    """Defaults, then settings from the environment (or given), then test overrides, then parts."""
    settings = settings or Settings.from_env()
    runtime = Runtime(settings).activate()
    app = Flask(__name__, template_folder=str(TEMPLATE_ROOT / "web"),
                instance_path=str(settings.instance))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=int(timedelta(hours=12).total_seconds()),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        REMEMBER_COOKIE_SECURE=settings.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        RATELIMIT_STORAGE_URI=_limiter_uri(runtime),
        RATELIMIT_HEADERS_ENABLED=True,
        SUBSCRIBE_LIMIT_IP="10 per minute;100 per hour",
        SUBSCRIBE_LIMIT_EMAIL="5 per hour",
        SIGNUP_PAGE_CACHE_SECONDS=10,  # how stale the sign-up page's topic list may be
        LOGIN_LIMIT="10 per minute",
        LOGIN_LIMIT_ACCOUNT="5 per 15 minutes;20 per day",  # failed logins per account
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["newsletter"] = runtime
    app.url_map.converters["int"] = DatabaseId
    if settings.trusted_proxies:
        # Behind a load balancer the client address is in X-Forwarded-For; without this the
        # per-IP sign-up limit would count everyone as the proxy.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    from . import extensions
    from .web import db, errors, limits, security, sessions

    db.init_app(app)
    sessions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    limits.init_app(app)

    from .admin import init_app as init_admin
    from .api import init_app as init_api
    from .bounces.webhooks import init_app as init_webhooks
    from .cli import init_app as init_cli
    from .engagement.views import init_app as init_engagement
    from .public import bp as public_bp
    from .site import init_app as init_site

    app.register_blueprint(public_bp)
    init_site(app)
    init_api(app)
    init_admin(app)
    init_webhooks(app)
    init_engagement(app)
    init_cli(app)
    return app


class DatabaseId(IntegerConverter):
    """`<int:…>` in every route: ids beyond a 32-bit key are a 404, not a database error."""

    def __init__(self, map, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]  # noqa: A002
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _limiter_uri(runtime: Runtime) -> str:
    """Flask-Limiter shares counters through the same Redis as RQ (embedded or not)."""
    url = runtime.redis_url
    if url.startswith("unix://"):
        return "redis+unix://" + url.removeprefix("unix://")
    return url
