"""CPU per public request, in one process: the app called as WSGI in a loop, no server.

    .venv/bin/python bench/web_cpu.py                  # 2,000 sign-ups, 2,000 of each other path
    .venv/bin/python bench/web_cpu.py --profile 12     # and cProfile's top 12 per request kind

A sign-up is the three requests a browser makes: GET /subscribe (new visitor, no cookie),
POST /subscribe (its cookie and CSRF token, its own X-Forwarded-For behind TRUSTED_PROXIES=1)
and GET /subscribe/check-inbox (the 303's target, with the cookie the POST set). Also
GET /topics/<slug>, the RFC 8058 one-click unsubscribe POST (each for a different reader,
with the `?e=` of the edition they were sent, as the List-Unsubscribe header carries it) and
the tracked-link redirect `/r/...` (click tracking on, each click a different reader's).
Real PostgreSQL and Redis (throwaway, as bench/web.py). CPU time of this process only
(time.process_time), so the figure is far less sensitive to other load on the machine than
a latency; it leaves out gunicorn's own HTTP parsing, and PostgreSQL's and Redis's CPU.

The garbage collector's pauses are counted too (`gc.callbacks`): "gc_ms" is the wall time
all collections took over the measured requests, "gc_max_ms" the longest pause (every thread
of a server process stops for it). The app's start-up heap is frozen after the warm-up, as
gunicorn's `post_worker_init` and `worker.py` do (`newsletter/heap.py`); `--no-freeze`
measures without that.

Round trips of one request of each kind, counted as the servers see them
(tests/support/round_trips.py): `<kind>_db` (statements, the pool's pre-ping and BEGIN /
COMMIT included) and `<kind>_redis` (a pipeline counts once).

Ends with one JSON line: {"<kind>_cpu_ms": …, "signup_cpu_ms": …, "<kind>_db": …,
"<kind>_redis": …, "gc_ms": …, "gc_max_ms": …, "gc_full": …, "load": …, "host_us": …}
(the host's speed before and after, bench/support/host.py).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import clicks as click_bench  # noqa: E402
from bench.pages import seed, throwaway_stores  # noqa: E402
from bench.support.host import python_us  # noqa: E402
from bench.web import SECRET, add_readers  # noqa: E402
from tests.support.round_trips import counting  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TOPIC = "ukraine"
KINDS = ("get", "post", "inbox", "topic", "unsubscribe", "click")


class Wsgi:
    """Just enough of a server: an environ per request, the status, headers and body back."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]  # noqa: ANN001
        self.app = app

    def __call__(self, method: str, path: str, ip: str, cookie: str = "",
                 body: bytes = b"") -> tuple[str, list[tuple[str, str]], bytes]:
        query = ""
        if "?" in path:
            path, query = path.split("?", 1)
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_X_FORWARDED_FOR": ip, "HTTP_X_FORWARDED_PROTO": "http",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True,
            "wsgi.run_once": False, "wsgi.version": (1, 0),
        }
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        if body:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
            environ["CONTENT_LENGTH"] = str(len(body))
        got: dict[str, object] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):  # type: ignore[no-untyped-def]  # noqa: ANN001
            got["status"], got["headers"] = status, headers

        chunks = self.app(environ, start_response)
        try:
            data = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return str(got["status"]), list(got["headers"]), data  # type: ignore[arg-type]


def cookie_of(headers: list[tuple[str, str]], old: str = "") -> str:
    """The session cookie as a browser would send it next (other cookies left out)."""
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return old


class Visitor:
    """One sign-up's three requests, each callable on its own (to time or profile it)."""

    def __init__(self, wsgi: Wsgi, i: int) -> None:
        self.wsgi, self.i = wsgi, i
        self.ip = f"198.{18 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}"
        self.cookie = ""
        self.form = b""

    def get(self) -> None:
        status, headers, body = self.wsgi("GET", "/subscribe", self.ip)
        assert status.startswith("200"), status
        self.cookie = cookie_of(headers)
        token = CSRF.search(body.decode())
        assert token, "no CSRF token on the page"
        self.form = (f"email={quote(f'v{self.i}@burst.example.com')}&topics={TOPIC}"
                     f"&timezone=UTC&csrf_token={quote(token.group(1))}").encode()

    def post(self) -> None:
        status, headers, _ = self.wsgi("POST", "/subscribe", self.ip, self.cookie, self.form)
        assert status.startswith("303"), status
        self.cookie = cookie_of(headers, self.cookie)

    def inbox(self) -> None:
        status, _, body = self.wsgi("GET", "/subscribe/check-inbox", self.ip, self.cookie)
        assert status.startswith("200") and b"burst.example.com" in body, status


def cpu_ms(calls: list[Callable[[], None]], profile: cProfile.Profile | None) -> float:
    if profile:
        profile.enable()
    start = time.process_time()
    for call in calls:
        call()
    spent = time.process_time() - start
    if profile:
        profile.disable()
    return spent / len(calls) * 1000


def round_trips(call: Callable[[], None]) -> dict[str, int]:
    """PostgreSQL and Redis round trips of one request."""
    with counting() as trips:
        call()
    return {"db": trips.database, "redis": len(trips.redis)}


class Pauses:
    """Every collection's wall time, by generation, from gc.callbacks."""

    def __init__(self) -> None:
        self.times: list[tuple[int, float]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.times.append((info["generation"], time.perf_counter() - self._started))

    def summary(self) -> dict[str, float]:
        return {"gc_ms": round(sum(t for _, t in self.times) * 1000, 1),
                "gc_max_ms": round(max((t for _, t in self.times), default=0.0) * 1000, 2),
                "gc_full": sum(1 for g, _ in self.times if g == 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="of each kind")
    parser.add_argument("--profile", type=int, metavar="N", default=0,
                        help="print cProfile's top N functions (by own time) per kind")
    parser.add_argument("--no-freeze", action="store_true",
                        help="leave the start-up heap to the collector (as before heap.py)")
    parser.add_argument("--only", nargs="+", choices=KINDS, default=list(KINDS),
                        help="time (and profile) only these kinds")
    args = parser.parse_args()

    from newsletter import create_app
    from newsletter.config import Settings
    from newsletter.engagement.links import ClickSigner
    from newsletter.subscribers.links import Links
    from newsletter.subscribers.tokens import Tokens

    n = args.requests
    out: dict[str, object] = {"requests": n}
    host_before = python_us()
    with (throwaway_stores() as (url, redis_url),
          tempfile.TemporaryDirectory(prefix="bench-webcpu-") as instance):
        seed(url)
        edition_id = click_bench.seed(url)  # an edition sent with every link tracked
        ids = add_readers(url, n + 100)
        settings = Settings.from_env(database_url=url, redis_url=redis_url, secret_key=SECRET,
                                     instance=Path(instance),
                                     base_url="http://127.0.0.1:8000")
        app = create_app(replace(settings, trusted_proxies=1))
        wsgi = Wsgi(app)
        links = Links(Tokens(SECRET), "http://127.0.0.1:8000")
        # as the List-Unsubscribe header carries it: the edition it came with (these readers
        # have no copy of it, so the attribution check runs and finds none)
        unsub = [links.unsubscribe(i).split("8000", 1)[1] + f"?e={edition_id}" for i in ids]
        signer = ClickSigner(SECRET)
        clicks = [signer.link_path(edition_id, k % 4)
                  + signer.reader_part(edition_id, k % click_bench.READERS + 1)
                  for k in range(n + 100)]

        def topic() -> None:
            status, _, _ = wsgi("GET", f"/topics/{TOPIC}", "203.0.113.1")
            assert status.startswith("200"), status

        def one_click(k: int) -> Callable[[], None]:
            def call() -> None:
                status, _, _ = wsgi("POST", unsub[k], "203.0.113.2",
                                    body=b"List-Unsubscribe=One-Click")
                assert status.startswith("200"), status
            return call

        def click(k: int) -> Callable[[], None]:
            def call() -> None:
                status, _, _ = wsgi("GET", clicks[k], "203.0.113.3")
                assert status.startswith("302"), status
            return call

        warm = [Visitor(wsgi, 10**6 + i) for i in range(50)]  # imports, templates, pools
        for v in warm:
            v.get(), v.post(), v.inbox()
        for k in range(98):
            topic()
            one_click(n + k)()
            click(n + k)()
        probe = Visitor(wsgi, 10**6 + 99)
        for kind, call in (("get", probe.get), ("post", probe.post), ("inbox", probe.inbox),
                           ("topic", topic), ("unsubscribe", one_click(n + 99)),
                           ("click", click(n + 99))):
            out.update({f"{kind}_{k}": v for k, v in round_trips(call).items()})

        if not args.no_freeze:
            from newsletter import heap
            heap.settle()
        pauses = Pauses()
        gc.callbacks.append(pauses)
        visitors = [Visitor(wsgi, i) for i in range(n)]
        kinds: dict[str, list[Callable[[], None]]] = {
            "get": [v.get for v in visitors], "post": [v.post for v in visitors],
            "inbox": [v.inbox for v in visitors], "topic": [topic] * n,
            "unsubscribe": [one_click(k) for k in range(n)],
            "click": [click(k) for k in range(n)]}
        if "get" not in args.only and ("post" in args.only or "inbox" in args.only):
            for v in visitors:  # each needs the page (and the POST) before
                v.get()
                if "inbox" in args.only and "post" not in args.only:
                    v.post()
        profiles: dict[str, cProfile.Profile] = {}
        for kind in args.only:
            calls = kinds[kind]
            profile = cProfile.Profile(time.process_time) if args.profile else None
            out[f"{kind}_cpu_ms"] = round(cpu_ms(calls, profile), 3)
            if profile:
                profiles[kind] = profile
        gc.callbacks.remove(pauses)
        out.update(pauses.summary(), frozen=not args.no_freeze)
        if {"get", "post", "inbox"} <= set(args.only):
            out["signup_cpu_ms"] = round(sum(out[f"{k}_cpu_ms"]  # type: ignore[misc]
                                             for k in ("get", "post", "inbox")), 3)
        app.extensions["newsletter"].engine.dispose()
    for kind, profile in profiles.items():
        text = io.StringIO()
        order = os.environ.get("PROFILE_SORT", "tottime")  # or cumulative
        pstats.Stats(profile, stream=text).sort_stats(order).print_stats(args.profile)
        print(f"==== {kind} (cProfile, {n} requests; CPU seconds, cProfile overhead included)",
              file=sys.stderr)
        print("\n".join(line for line in text.getvalue().splitlines()
                        if line.strip() and not line.startswith(("   Ordered", "   List"))),
              file=sys.stderr)
    out["profiled"] = bool(args.profile)
    out["load"] = [round(x, 2) for x in os.getloadavg()]
    out["host_us"] = [host_before, python_us()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
