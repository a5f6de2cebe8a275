"""A real HTTP server on 127.0.0.1 serving fixture feeds, one route per path.

Each route is a Route (status, body, headers, delay); a route may also be a function of the
request headers, for conditional GETs. Requests are recorded so tests can assert what the
fetcher sent (User-Agent, If-None-Match) and what it never reached.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the body is written (a slow server)
    content_type: str = "application/rss+xml; charset=utf-8"
    chunked: bool = False  # no Content-Length: the size is only known while streaming


Handler = Callable[[dict[str, str]], Route]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class _QuietServer(ThreadingHTTPServer):
    """Says nothing when the fetcher drops a connection: the tests of oversized and slow feeds
    make it do that on purpose, and the traceback in the CI log looked like a failure."""

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route | Handler] = {}
        self.requests: list[Seen] = []
        self.peak: dict[str, int] = {}  # most requests at once per Host name
        active: dict[str, int] = {}
        counting = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return None

            def do_GET(self) -> None:  # noqa: N802
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.requests.append(Seen(self.path, headers))
                host = headers.get("host", "").rsplit(":", 1)[0]
                with counting:
                    active[host] = active.get(host, 0) + 1
                    server.peak[host] = max(server.peak.get(host, 0), active[host])
                try:
                    self.answer(headers)
                finally:
                    with counting:
                        active[host] -= 1

            def answer(self, headers: dict[str, str]) -> None:
                route = server.routes.get(self.path)
                if callable(route):
                    route = route(headers)
                if route is None:
                    route = Route(b"not found", 404, content_type="text/plain")
                if route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    body = b"" if route.status in (204, 304) else route.body
                    if route.chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        for start in range(0, len(body), 16384):
                            piece = body[start:start + 16384]
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.write(b"0\r\n\r\n")
                        return
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route | Handler) -> str:
        self.routes[path] = route
        return self.url(path)

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def start(self) -> FeedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
