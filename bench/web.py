"""The web under load: gunicorn on PostgreSQL, an open-loop generator, two public paths.

    .venv/bin/python bench/web.py                      # 200 req/s for 15 s on each path
    .venv/bin/python bench/web.py --rate 200 --seconds 60

Reuses bench/pages.py: its seed (demo newsroom + a timeline on /topics/ukraine), its
gunicorn start (the Procfile's newsletter/web/serving.py) and its open-loop generator (requests
on a fixed schedule, latency from the scheduled time to the last byte, so queueing counts).
Paths, one after the other:
- `POST /subscribe` behind `TRUSTED_PROXIES=1`, each from its own X-Forwarded-For address,
  for its own address, with its own session cookie and CSRF token (minted beforehand with
  the server's secret, exactly as `GET /subscribe` would issue them, so the measured
  requests are the POSTs alone); every answer must be the 303 to the check-your-inbox page;
- `GET /topics/ukraine`;
- the RFC 8058 one-click unsubscribe, `POST /unsubscribe/<token>` with
  `List-Unsubscribe=One-Click`, each request for a different reader (as mailbox providers
  send them), afterwards checked in the database: every reader asked must be unsubscribed.
Ends with one JSON line: {"rate", "seconds", "<path>_p50_ms", "<path>_p99_ms",
"<path>_max_ms", "<path>_errors", "<path>_rps", "<path>_server_cpu_ms" (CPU of all gunicorn
processes per request), ..., "unsubscribed_in_db", "load_avg_before", "host_us" (the host's
speed before and after, bench/support/host.py)}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pages import (  # noqa: E402
    SERVERS,
    gunicorn_layout,
    load,
    percentile,
    seed,
    served,
    throwaway_stores,
)
from bench.support.host import python_us  # noqa: E402

SECRET = "bench-secret"
WARM_UP = 100  # readers unsubscribed while warming up (not measured)


def add_readers(url: str, count: int) -> list[int]:
    """`count` active readers in one INSERT … SELECT; their ids in order."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "INSERT INTO subscriber (email, email_key, status, created_at, updated_at, confirmed_at)"
            " SELECT 'webreader' || n || '@example.com', 'webreader' || n || '@example.com',"
            " 'active', now(), now(), now() FROM generate_series(1, %s) AS n RETURNING id",
            (count,)).fetchall()
    return sorted(r[0] for r in rows)


def unsubscribed(url: str, ids: list[int]) -> int:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM subscriber WHERE id = ANY(%s)"
                            " AND status = 'unsubscribed'", (ids,)).fetchone()[0]


def one_click_requests(port: int, ids: list[int]):  # type: ignore[no-untyped-def]
    """The i-th request unsubscribes the i-th reader with the token their email carried."""
    from newsletter.subscribers.links import Links
    from newsletter.subscribers.tokens import Tokens

    links = Links(Tokens(SECRET), f"http://127.0.0.1:{port}")
    body = b"List-Unsubscribe=One-Click"
    head = ("POST {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUser-Agent: bench/web.py\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    paths = [links.unsubscribe(i).split(str(port), 1)[1] for i in ids]
    return lambda n: head.format(paths[n], port).encode() + body


def signup_requests(url: str, redis_url: str, port: int, count: int):  # type: ignore[no-untyped-def]
    """The i-th request signs up visitor i from their own address, with the session cookie and
    CSRF token `GET /subscribe` would have given them (made here with the server's secret)."""
    from urllib.parse import quote

    from flask import session
    from flask_wtf.csrf import generate_csrf

    from newsletter import create_app
    from newsletter.config import Settings

    with tempfile.TemporaryDirectory(prefix="bench-web-") as instance:
        app = create_app(Settings.from_env(database_url=url, redis_url=redis_url,
                                           secret_key=SECRET, instance=Path(instance)))
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        made = []
        for i in range(count):
            with app.test_request_context("/subscribe"):
                token = generate_csrf()
                cookie = serializer.dumps(dict(session))
            ip = f"198.{18 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}"
            body = (f"email={quote(f'w{i}@burst.example.com')}&topics=ukraine&timezone=UTC"
                    f"&csrf_token={quote(token)}").encode()
            made.append((f"POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                         f"User-Agent: bench/web.py\r\nX-Forwarded-For: {ip}\r\n"
                         f"Cookie: session={cookie}\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n"
                         f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        app.extensions["newsletter"].engine.dispose()
    return made.__getitem__


def timed_phase(name: str, port: int, run) -> dict[str, float]:  # type: ignore[no-untyped-def]  # noqa: ANN001
    """figures() of one timed phase, plus the CPU the gunicorn processes spent on it per
    request (less sensitive to other load on the machine than the latencies)."""
    from bench.signup import tree_cpu

    before = tree_cpu(SERVERS[port])
    latencies, errors, elapsed = run()
    cpu = tree_cpu(SERVERS[port]) - before
    return {**figures(name, latencies, errors, elapsed),
            f"{name}_server_cpu_ms": round(cpu * 1000 / max(1, len(latencies)), 3)}


def figures(name: str, latencies: list[float], errors: int, elapsed: float) -> dict[str, float]:
    ms = [v * 1000 for v in latencies] or [0.0]
    return {f"{name}_p50_ms": round(statistics.median(ms), 2),
            f"{name}_p99_ms": round(percentile(ms, 0.99), 2),
            f"{name}_max_ms": round(max(ms), 2), f"{name}_errors": errors,
            f"{name}_rps": round(len(latencies) / elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--topic-path", default="/topics/ukraine")
    parser.add_argument("--only", choices=["subscribe", "topic", "unsubscribe"],
                        help="measure one path (to compare gunicorn layouts quickly)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    host_before = python_us()

    out: dict[str, object] = {"rate": args.rate, "seconds": args.seconds,
                              "gunicorn": gunicorn_layout()}
    with throwaway_stores() as (url, redis_url):
        seed(url)
        measured = int(args.rate * args.seconds)
        ids = add_readers(url, WARM_UP + measured)
        with served(url, redis_url, SECRET, "web", {"TRUSTED_PROXIES": "1"}) as port:
            asyncio.run(load(port, args.topic_path, 50, 2))  # warm up: imports, templates, pool
            paths = [args.only] if args.only else ["subscribe", "topic", "unsubscribe"]
            if "subscribe" in paths:
                signup = signup_requests(url, redis_url, port, WARM_UP + measured)
                asyncio.run(load(port, "", 50, WARM_UP / 50, signup, ok_status=303))
                out.update(timed_phase("subscribe", port, lambda: asyncio.run(load(
                    port, "", args.rate, args.seconds, lambda n: signup(WARM_UP + n),
                    ok_status=303))))
            if "topic" in paths:
                out.update(timed_phase("topic", port, lambda: asyncio.run(load(
                    port, args.topic_path, args.rate, args.seconds))))
            if "unsubscribe" in paths:
                make = one_click_requests(port, ids)
                asyncio.run(load(port, "", 50, WARM_UP / 50, make))
                out.update(timed_phase("unsubscribe", port, lambda: asyncio.run(load(
                    port, "", args.rate, args.seconds, lambda n: make(WARM_UP + n)))))
                out["unsubscribed_in_db"] = unsubscribed(url, ids[WARM_UP:])
                out["unsubscribe_asked"] = measured
    out["load_avg_before"] = [round(x, 2) for x in load_before]
    out["host_us"] = [host_before, python_us()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
