"""Serving a rendered email inside the admin pages.

An email carries inline styles and <style> blocks, which the site's strict CSP forbids;
so previews are their own documents, loaded in an iframe, with a CSP of their own: no
script at all, inline styles allowed, framable by our own pages only.
"""

from __future__ import annotations

from flask import Response

EMAIL_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src https: http: data:; "
    "font-src https: data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)


def email_response(html: str, status: int = 200) -> Response:
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = EMAIL_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response
