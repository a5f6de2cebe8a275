"""Public topic page under load: gunicorn on PostgreSQL, an open-loop load generator.

    .venv/bin/python bench/pages.py                    # 200 req/s for 15 s on /topics/ukraine
    .venv/bin/python bench/pages.py --rate 300 --seconds 20

Creates a throwaway PostgreSQL database (like tests/support/services.py), migrates it, loads
the demo newsroom plus earlier updates (a full timeline), starts gunicorn as the Procfile
does (2 workers × 4 threads), then sends requests on a fixed schedule: one every 1/rate s,
whatever the server's answers (open loop, so a slow server cannot slow the generator down
and hide its own queueing). Each latency runs from the request's *scheduled* time to the
last byte of the answer, so queueing counts. Requests go over a pool of keep-alive HTTP/1.1
connections, 64 at most (asyncio, no third-party client). Ends with one JSON line:
{"path", "rate", "seconds", "requests", "errors", "achieved_rps", "median_ms", "p99_ms",
 "max_ms", "gunicorn", "load_avg_before"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from newsletter.demo import load_demo  # noqa: E402
from newsletter.migrate import upgrade  # noqa: E402
from newsletter.models import Topic, utcnow  # noqa: E402
from newsletter.runtime import make_engine  # noqa: E402
from tests.factories import make_update  # noqa: E402
from tests.support.services import PostgresDatabase, RedisDatabase  # noqa: E402

CONNECTIONS = 64  # keep-alive connections at most, like a browser fleet behind a proxy


SERVERS: dict[int, int] = {}  # port -> pid of the gunicorn arbiter serving it (served())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        load_demo(session, base_url="http://127.0.0.1")
        ukraine = session.scalar(select(Topic).where(Topic.slug == "ukraine"))
        for i in range(12):  # a realistic timeline under the latest update
            update = make_update(session, ukraine, f"Earlier development number {i + 1}")
            update.published_at = utcnow() - timedelta(days=i + 1)
        session.commit()
    engine.dispose()


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def get(self, request: bytes) -> int:
        self.writer.write(request)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status


async def load(port: int, path: str, rate: float, seconds: float,
               requests: Callable[[int], bytes] | None = None,
               ok_status: int = 200) -> tuple[list[float], int, float]:
    """GET `path` at `rate`/s, or send `requests(i)` as the i-th request (bench/web.py);
    answers other than `ok_status` count as errors."""
    fixed = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
             "User-Agent: bench/pages.py\r\nAccept: text/html\r\n\r\n").encode()
    idle: list[Connection] = []
    latencies: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}
    slots = asyncio.Semaphore(CONNECTIONS)

    async def one(scheduled: float, request: bytes) -> None:
        async with slots:  # waiting for a free connection counts in the latency
            await send(scheduled, request)

    async def send(scheduled: float, request: bytes) -> None:
        nonlocal errors
        reused = bool(idle)
        conn = idle.pop() if idle else Connection(*await asyncio.open_connection("127.0.0.1", port))
        try:
            try:
                status = await conn.get(request)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                if not reused:
                    raise
                # the server closed an idle keep-alive connection: retry once on a new one,
                # as HTTP clients do for idempotent requests (the wait still counts)
                conn.writer.close()
                conn = Connection(*await asyncio.open_connection("127.0.0.1", port))
                status = await conn.get(request)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            errors += 1
            kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
            conn.writer.close()
            return
        latencies.append(time.perf_counter() - scheduled)
        if status != ok_status:
            errors += 1
            kinds[str(status)] = kinds.get(str(status), 0) + 1
        idle.append(conn)

    interval = 1 / rate
    total = int(rate * seconds)
    tasks = []
    start = time.perf_counter() + 0.05
    for i in range(total):
        scheduled = start + i * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled, requests(i) if requests else fixed)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for conn in idle:
        conn.writer.close()
    if kinds:
        print("errors:", kinds, file=sys.stderr)
    return latencies, errors, elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def start_gunicorn(port: int, env: dict[str, str],
                   app: str = "newsletter:create_app()") -> subprocess.Popen[bytes]:
    """gunicorn as the Procfile runs it (newsletter/web/serving.py; WEB_CONCURRENCY,
    WEB_THREADS and WEB_WORKER_CLASS from the environment), once it accepts connections."""
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config",
         "python:newsletter.web.serving", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", app], cwd=ROOT, env=env)
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.2)


def gunicorn_layout() -> str:
    """What start_gunicorn runs: processes × threads and the worker class."""
    return (f"{os.environ.get('WEB_CONCURRENCY', '2')}x{os.environ.get('WEB_THREADS', '4')}"
            f" {os.environ.get('WEB_WORKER_CLASS', 'gthread')}")


@contextmanager
def throwaway_stores() -> Iterator[tuple[str, str]]:
    """A migrated PostgreSQL database and a Redis db of their own, removed on exit, so a
    bench never touches data that matters (the same services as the tests use)."""
    database, redis_db = PostgresDatabase(), RedisDatabase()
    url = database.create()
    redis_db.acquire()
    try:
        upgrade(url)
        yield url, redis_db.url
    finally:
        redis_db.release()
        database.drop()


@contextmanager
def served(url: str, redis_url: str, secret: str, name: str,
           extra_env: dict[str, str] | None = None) -> Iterator[int]:
    """gunicorn as the Procfile runs it on those stores; yields its port, stops it on exit."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as instance:
        env = {**os.environ, **(extra_env or {}), "DATABASE_URL": url, "REDIS_URL": redis_url,
               "SECRET_KEY": secret, "BASE_URL": f"http://127.0.0.1:{port}",
               "NEWSLETTER_INSTANCE": instance}
        server = start_gunicorn(port, env)
        SERVERS[port] = server.pid
        try:
            yield port
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--path", default="/topics/ukraine")
    args = parser.parse_args()
    load_before = os.getloadavg()

    with throwaway_stores() as (url, redis_url):
        seed(url)
        with served(url, redis_url, "bench-secret", "pages") as port:
            asyncio.run(load(port, args.path, 50, 2))  # warm up: imports, templates, pool
            latencies, errors, elapsed = asyncio.run(load(port, args.path, args.rate,
                                                          args.seconds))

    ms = [v * 1000 for v in latencies]
    print(json.dumps({
        "path": args.path, "rate": args.rate, "seconds": args.seconds,
        "requests": int(args.rate * args.seconds),
        "errors": errors, "achieved_rps": round(len(ms) / elapsed, 1),
        "median_ms": round(statistics.median(ms), 2), "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2), "gunicorn": gunicorn_layout(),
        "load_avg_before": [round(x, 2) for x in load_before],
    }))


if __name__ == "__main__":
    main()
