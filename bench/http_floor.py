"""What gunicorn alone costs: the production server settings serving constant bytes.

    .venv/bin/python bench/http_floor.py                 # 100 visitors/s for 20 s
    .venv/bin/python bench/http_floor.py --rate 200 --seconds 60

Every public page pays gunicorn's HTTP work before Flask runs at all. This starts gunicorn
exactly as the Procfile does (`newsletter/web/serving.py`: WEB_CONCURRENCY processes of
WEB_THREADS threads) but with an app that returns the same BODY_BYTES for every request
(bench/support/constant_app.py, 24,000 by default: the sign-up page's size), and drives it
the way `bench/signup.py`'s visitors come: visitor i opens its own connection at exactly
t0 + i/rate and makes three requests on it, one after the other (keep-alive).

The CPU of the gunicorn processes per request is the floor under every figure of
`bench/signup.py` and `bench/web.py`: the sign-up's three requests cannot cost the web less
than three times it. Compare it with `bench/web_cpu.py` (the app alone, no server).

Ends with one JSON line: {"rate", "seconds", "gunicorn", "requests", "errors", "p50_ms",
"p99_ms", "server_cpu_ms" (per request), "gen_cpu" (the generator's share of a core),
"load", "host_us" (the host's speed before and after, bench/support/host.py)}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pages import (  # noqa: E402
    Connection,
    free_port,
    gunicorn_layout,
    percentile,
    start_gunicorn,
)
from bench.signup import tree_cpu  # noqa: E402
from bench.support.host import python_us  # noqa: E402


async def visitors(port: int, rate: float, seconds: float, per_visitor: int
                   ) -> tuple[list[float], int]:
    """Open-loop: latencies of every answered request, and how many failed."""
    request = (f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "User-Agent: bench/http_floor.py\r\nAccept: text/html\r\n\r\n").encode()
    latencies: list[float] = []
    failed = 0

    async def visit(scheduled: float) -> None:
        nonlocal failed
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            failed += per_visitor
            return
        conn = Connection(reader, writer)
        try:
            for _ in range(per_visitor):
                start = time.perf_counter()
                if await conn.get(request) != 200:
                    failed += 1
                    continue
                latencies.append(time.perf_counter() - max(start, scheduled))
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            failed += 1
        finally:
            writer.close()

    tasks = []
    t0 = time.perf_counter() + 0.05
    for i in range(int(rate * seconds)):
        scheduled = t0 + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(visit(scheduled)))
    await asyncio.gather(*tasks)
    return latencies, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="visitors per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--requests", type=int, default=3, help="per visitor, on one connection")
    parser.add_argument("--body-bytes", type=int, default=24_000)
    args = parser.parse_args()

    host_before = python_us()
    port = free_port()
    env = {**os.environ, "BODY_BYTES": str(args.body_bytes)}
    server = start_gunicorn(port, env, app="bench.support.constant_app:app")
    try:
        asyncio.run(visitors(port, 20, 1, args.requests))  # warm: imports, first connections
        cpu_before, gen_before = tree_cpu(server.pid), time.process_time()
        latencies, failed = asyncio.run(visitors(port, args.rate, args.seconds, args.requests))
        cpu = tree_cpu(server.pid) - cpu_before
        gen = time.process_time() - gen_before
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    answered = len(latencies)
    print(json.dumps({
        "rate": args.rate, "seconds": args.seconds, "gunicorn": gunicorn_layout(),
        "requests": answered, "errors": failed,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2) if answered else None,
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2) if answered else None,
        "server_cpu_ms": round(cpu * 1000 / max(answered, 1), 3),
        "gen_cpu": round(gen / args.seconds, 2),
        "load": round(os.getloadavg()[0], 2), "host_us": [host_before, python_us()],
    }))


if __name__ == "__main__":
    main()
