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


# Set on every response unless the view chose its own (names lower-cased for the check).
_DEFAULTS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Our own https forms need the Referer (Flask-WTF's strict check compares it with the
    # host); other sites must never see a URL that holds a token: same-origin does both.
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "interest-cohort=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_HSTS = ("Strict-Transport-Security", HSTS)


def _headers(response: Response) -> Response:
    headers = response.headers
    if request.blueprint == "public" and response.status_code != 429:
        # Remaining-count headers on the sign-up form would tell a visitor how often an
        # address was tried lately; keep them for the 429 answer only (Retry-After).
        for name in {k for k, _ in headers.items() if k.lower().startswith("x-ratelimit-")}:
            del headers[name]
        headers.pop("Retry-After", None)
    # one pass over the headers the view set, then one extend (every redirect and page pays
    # this: setdefault per header scanned the list six times)
    present = {k.lower() for k, _ in headers.items()}
    wanted = [*_DEFAULTS, _HSTS] if request.is_secure or _https_site() else _DEFAULTS
    headers.extend([(k, v) for k, v in wanted if k.lower() not in present])
    return response


def init_app(app: Flask) -> None:
    app.after_request(_headers)
