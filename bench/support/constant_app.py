"""A WSGI app that answers every request with the same bytes: what gunicorn costs on its own.

`bench/http_floor.py` serves it with the production gunicorn settings, so the CPU it
measures per request is the floor every page of ours pays before Flask runs at all.
BODY_BYTES (environment) sets the body's size.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

BODY = b"x" * int(os.environ.get("BODY_BYTES", "24000"))
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
