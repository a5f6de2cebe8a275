"""The app as tests build it: Flask config overrides and a live HTTP server for browsers."""

from __future__ import annotations

import threading

from flask import Flask
from werkzeug.serving import make_server

from tests.support.smtp import free_port

TEST_CONFIG = {
    "TESTING": True,
    "SUBSCRIBE_LIMIT_IP": "10000 per minute",
    "SUBSCRIBE_LIMIT_EMAIL": "10000 per minute",
    "LOGIN_LIMIT": "10000 per minute",
    "LOGIN_LIMIT_ACCOUNT": "10000 per minute",
    "SIGNUP_PAGE_CACHE_SECONDS": 0,  # tests change topics between requests
}


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
