"""Security headers on every response: strict CSP (no inline script), no framing, nosniff,
a referrer kept to our own origin, and HSTS when served over https."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)

# One year, the minimum the HSTS preload list asks for. Subdomains are left out: they may
# be run by others (a blog, a shop) that this service cannot vouch for.
HSTS = "max-age=31536000"


def _https_site() -> bool:
    """BASE_URL is https: behind a TLS proxy the request itself may look like plain http."""
    return current_app.extensions["newsletter"].settings.base_url.startswith("https://")


def _headers(response: Response) -> Response:
    if request.blueprint == "public" and response.status_code != 429:
        # Remaining-count headers on the sign-up form would tell a visitor how often an
        # address was tried lately; keep them for the 429 answer only (Retry-After).
        for name in {k for k, _ in response.headers.items() if k.lower().startswith("x-ratelimit-")}:
            del response.headers[name]
        response.headers.pop("Retry-After", None)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # Our own https forms need the Referer (Flask-WTF's strict check compares it with the
    # host); other sites must never see a URL that holds a token: same-origin does both.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure or _https_site():
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    response.headers.setdefault("Permissions-Policy", "interest-cohort=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_headers)
