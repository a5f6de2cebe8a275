"""A real HTTP endpoint on 127.0.0.1 that records webhook calls and answers as scripted."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each call with the next scripted status (the last one repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    calls: list[Received] = field(default_factory=list)
    hold_first: bool = False  # keep the first call waiting until `release()`
    released: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                receiver.calls.append(Received(dict(self.headers.items()),
                                               self.rfile.read(length)))
                if receiver.hold_first and len(receiver.calls) == 1:
                    receiver.released.wait(30)
                    return
                index = min(len(receiver.calls), len(receiver.statuses)) - 1
                status = receiver.statuses[index]
                reply = f"answer {len(receiver.calls)}".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def release(self) -> None:
        self.released.set()

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
