"""HTTP caching for public pages: a strong ETag of the body, Last-Modified, Cache-Control, and
304 answers to conditional requests (If-None-Match wins over If-Modified-Since, RFC 9110)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import Response, make_response, request

PUBLIC_MAX_AGE = 60  # a shared cache may serve a page for a minute, then must revalidate


def etag_of(body: str | bytes) -> str:
    data = body.encode() if isinstance(body, str) else body
    return hashlib.sha256(data).hexdigest()[:32]


def cacheable(body: str | bytes, *, modified: datetime | None = None, mimetype: str | None = None,
              max_age: int = PUBLIC_MAX_AGE, private: bool = False, status: int = 200,
              etag: str | None = None) -> Response:
    """A response that caches and revalidates; `private` for pages that carry a form token.
    `etag`: the body's tag when the caller kept it with a cached body."""
    response: Response = make_response(body, status)
    if mimetype:
        response.mimetype = mimetype
    response.set_etag(etag or etag_of(response.get_data()))
    if modified is not None:
        response.last_modified = modified.replace(microsecond=0)
    if private:
        response.cache_control.private = True
        response.cache_control.no_cache = True
    else:
        response.cache_control.public = True
        response.cache_control.max_age = max_age
    return response.make_conditional(request)
