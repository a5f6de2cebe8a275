"""The app as tests build it: Flask config overrides and a live HTTP server for browsers."""

from __future__ import annotations

import threading

from flask import Flask
from limits.storage import RedisStorage
from werkzeug.serving import make_server

from newsletter.extensions import limiter
from tests.support.smtp import free_port

TEST_CONFIG = {
    "TESTING": True,
    "SUBSCRIBE_LIMIT_IP": "10000 per minute",
    "SUBSCRIBE_LIMIT_EMAIL": "10000 per minute",
    "LOGIN_LIMIT": "10000 per minute",
    "LOGIN_LIMIT_ACCOUNT": "10000 per minute",
    "SIGNUP_PAGE_CACHE_SECONDS": 0,  # tests change topics between requests
}


def close_embedded(app: Flask) -> None:
    """Stop an embedded app's database pool and Redis, and close every socket to that Redis now.

    A socket left open to the stopped server is closed only when the garbage collector reaches
    it, and then it warns (an unclosed-socket ResourceWarning, an error under the suite's
    warning filter) in whichever later test happens to be running: a CI run once failed that
    way in a mail test. The rate limiter keeps its own client to the same socket.
    """
    runtime = app.extensions["newsletter"]
    runtime.engine.dispose()
    clients = [runtime.redis]
    storage = limiter.storage
    if isinstance(storage, RedisStorage) and storage.storage.connection_pool.connection_kwargs.get(
            "path") == runtime.redis.socket_file:
        clients.append(storage.storage)
    runtime.redis.shutdown(nosave=True)  # the embedded redis-server must not outlive the test
    for client in clients:
        client.connection_pool.disconnect()


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
