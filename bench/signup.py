"""Sign-up burst benchmark: the Procfile processes under an open-loop load at a fixed rate.

    .venv/bin/python bench/signup.py                       # 200 sign-ups/s for 60 s
    .venv/bin/python bench/signup.py --rate 50 --seconds 20 --wait 120

Starts, on this machine's PostgreSQL (a throwaway database) and Redis (a free db number):
gunicorn with the Procfile's web line (TRUSTED_PROXIES=1), one `python worker.py` (the
Procfile's worker line) and a minimal asyncio SMTP sink in a child process. Seeds a few
topics with many published updates (so a page that scans history shows it), 200 active
readers and an edition whose send time falls in the middle of the burst.

The generator is open-loop: visitor i starts at exactly t0 + i/rate whatever the server
does, each from its own X-Forwarded-For address, over its own keep-alive connection:
GET /subscribe (the form and its CSRF cookie), POST /subscribe, then the check-your-inbox
page it redirects to (`inbox_p99_ms`). Latencies are measured
from the moment the request is written; `lag_ms` says how late the generator itself started
visitors (it is the bottleneck if that grows), and `gen_cpu` is its own share of one core.

Ends with one JSON line: POST p50/p99, GET p99, errors, `confirm_s` (from the last answered
POST to the last confirmation accepted by the sink), `edition_delay_s` (the edition's
started_at minus its send_at), the sink's count of confirmation copies per address and
`host_us`, the host's speed before and after (bench/support/host.py).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key"
TOPICS = ["world", "climate", "tech", "business", "science"]
SIGNUP_DOMAIN = b"burst.example.com"
CSRF = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


# ---------------------------------------------------------------- the SMTP sink (child process)

def run_sink(port: int) -> None:
    """Accept everything; count copies per sign-up recipient and when the last one came in."""
    per_rcpt: dict[bytes, int] = {}
    state = {"last": 0.0, "count": 0}

    class Proto(asyncio.Protocol):
        def connection_made(self, transport):  # noqa: ANN001
            self.t = transport
            self.buf = bytearray()
            self.in_data = False
            self.rcpts: list[bytes] = []
            transport.write(b"220 sink ESMTP\r\n")

        def data_received(self, data: bytes) -> None:
            self.buf += data
            out = []
            while True:
                if self.in_data:
                    end = self.buf.find(b"\r\n.\r\n")
                    if end < 0:
                        break
                    del self.buf[:end + 5]
                    self.in_data = False
                    state["count"] += 1
                    for r in self.rcpts:
                        if r.endswith(SIGNUP_DOMAIN):
                            per_rcpt[r] = per_rcpt.get(r, 0) + 1
                            state["last"] = time.time()
                    self.rcpts = []
                    out.append(b"250 2.0.0 accepted\r\n")
                    continue
                end = self.buf.find(b"\r\n")
                if end < 0:
                    break
                line = bytes(self.buf[:end])
                del self.buf[:end + 2]
                verb = line[:4].upper()
                if verb == b"EHLO":
                    out.append(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    self.in_data = True
                    out.append(b"354 go on\r\n")
                elif verb == b"RCPT":
                    self.rcpts.append(line.split(b"<", 1)[-1].rstrip(b">").lower())
                    out.append(b"250 ok\r\n")
                elif verb == b"RSET":
                    self.rcpts = []
                    out.append(b"250 ok\r\n")
                elif verb == b"QUIT":
                    out.append(b"221 bye\r\n")
                elif verb == b"XSTA":
                    dup = sum(1 for n in per_rcpt.values() if n > 1)
                    stats = {"count": state["count"], "last": state["last"],
                             "addresses": len(per_rcpt), "extra": sum(per_rcpt.values())
                             - len(per_rcpt), "doubled": dup}
                    out.append(b"250 " + json.dumps(stats).encode() + b"\r\n")
                else:
                    out.append(b"250 ok\r\n")
            if out:
                self.t.write(b"".join(out))

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Proto, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def sink_stats(port: int) -> dict:
    with socket.create_connection(("127.0.0.1", port)) as s:
        f = s.makefile("rwb")
        f.readline()
        f.write(b"XSTA\r\n")
        f.flush()
        return json.loads(f.readline()[4:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


# ---------------------------------------------------------------- seeding

def seed(database_url: str, updates_per_topic: int, readers: int) -> list[int]:
    """Topics, many published updates (copies of a realistic one) and some active readers."""
    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from newsletter.editorial.topics import create_topic
    from tests.mail.realistic import make_realistic_update

    engine = create_engine(database_url)
    with Session(engine) as session:
        topics = [create_topic(session, slug, slug.title(), f"All about {slug}.")
                  for slug in TOPICS]
        update_ids = [make_realistic_update(session, t).id for t in topics]
        session.commit()
    engine.dispose()
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'topic_update' AND column_name <> 'id'")
        cols = ", ".join(f'"{c}"' for (c,) in cur.fetchall())
        cur.execute(f"INSERT INTO topic_update ({cols}) SELECT {cols} FROM topic_update, "  # noqa: S608
                    f"generate_series(1, %s)", (updates_per_topic,))
        cur.execute("INSERT INTO subscriber (email, email_key, status, created_at, updated_at,"
                    " confirmed_at) SELECT 'reader' || i || '@example.com', 'reader' || i ||"
                    " '@example.com', 'active', now(), now(), now()"
                    " FROM generate_series(1, %s) i", (readers,))
        cur.execute("INSERT INTO subscription (subscriber_id, topic_id, created_at) "
                    "SELECT s.id, t.id, now() FROM subscriber s, topic t")
        cur.execute("ANALYZE")
        conn.commit()
    return update_ids


def schedule_edition(env: dict[str, str], update_ids: list[int], send_at: datetime) -> int:
    """Create and schedule an edition exactly as the API does (commit, then enqueue_at)."""
    from newsletter.config import Settings
    from newsletter.delivery.jobs import enqueue_start as enqueue
    from newsletter.editorial.editions import create_edition
    from newsletter.runtime import Runtime

    runtime = Runtime(Settings.from_env(
        instance=Path(env["NEWSLETTER_INSTANCE"]), database_url=env["DATABASE_URL"],
        redis_url=env["REDIS_URL"], smtp_url=env["SMTP_URL"], secret_key=SECRET,
        queue_name=env["RQ_QUEUE"]))
    with runtime.session() as session:
        edition = create_edition(session, "Mid-burst edition", update_ids, send_at)
    enqueue(runtime, edition)
    runtime.engine.dispose()
    return edition.id


# ---------------------------------------------------------------- the load generator

async def request(reader, writer, raw: bytes) -> tuple[int, dict[bytes, bytes], bytes]:  # noqa: ANN001
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers: dict[bytes, bytes] = {}
    cookies = []
    for line in lines[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            k = k.strip().lower()
            if k == b"set-cookie":
                cookies.append(v.strip().split(b";", 1)[0])
            headers[k] = v.strip()
    headers[b"cookie"] = b"; ".join(cookies)
    body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
    return status, headers, body


async def visitor(i: int, port: int, stats: dict) -> None:
    ip = f"198.{18 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}".encode()
    common = (b"Host: 127.0.0.1\r\nX-Forwarded-For: " + ip + b"\r\nX-Forwarded-Proto: http\r\n"
              b"Connection: keep-alive\r\n")
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    except OSError:
        stats["errors"]["connect"] = stats["errors"].get("connect", 0) + 1
        return
    try:
        t = time.perf_counter()
        status, headers, body = await request(reader, writer,
                                              b"GET /subscribe HTTP/1.1\r\n" + common + b"\r\n")
        stats["get"].append(time.perf_counter() - t)
        found = CSRF.search(body)
        if status != 200 or not found:
            stats["errors"][f"GET {status}"] = stats["errors"].get(f"GET {status}", 0) + 1
            return
        from urllib.parse import quote_from_bytes
        form = (b"email=" + quote_from_bytes(f"v{i}@".encode() + SIGNUP_DOMAIN).encode()
                + b"&topics=" + TOPICS[i % len(TOPICS)].encode() + b"&timezone=UTC"
                + b"&csrf_token=" + quote_from_bytes(found.group(1)).encode())
        raw = (b"POST /subscribe HTTP/1.1\r\n" + common + b"Cookie: " + headers[b"cookie"]
               + b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
               + str(len(form)).encode() + b"\r\n\r\n" + form)
        t = time.perf_counter()
        cookie = headers[b"cookie"]
        status, headers, _ = await request(reader, writer, raw)
        stats["post"].append(time.perf_counter() - t)
        stats["post_at"].append(t)
        stats["last_post"] = time.time()
        if status not in (200, 303):
            stats["errors"][f"POST {status}"] = stats["errors"].get(f"POST {status}", 0) + 1
            return
        stats["accepted"] += 1
        if status == 303:  # a browser follows on to the check-your-inbox page
            path = headers[b"location"].split(b"://", 1)[-1]
            path = path[path.index(b"/"):] if b"://" in headers[b"location"] else path
            t = time.perf_counter()
            status, _, _ = await request(reader, writer, b"GET " + path + b" HTTP/1.1\r\n"
                                         + common + b"Cookie: " + (headers[b"cookie"] or cookie)
                                         + b"\r\n\r\n")
            stats["inbox"].append(time.perf_counter() - t)
            if status != 200:
                stats["errors"][f"INBOX {status}"] = stats["errors"].get(f"INBOX {status}", 0) + 1
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
        stats["errors"][type(exc).__name__] = stats["errors"].get(type(exc).__name__, 0) + 1
    finally:
        writer.close()


async def generate(port: int, rate: float, seconds: float) -> dict:
    stats: dict = {"get": [], "post": [], "post_at": [], "inbox": [], "errors": {},
                   "accepted": 0, "lag": 0.0, "lags": [], "last_post": 0.0}
    loop = asyncio.get_running_loop()
    total = int(rate * seconds)
    tasks = []
    # The generator's own cycle collections walked its thousands of live tasks and stalled it
    # for 80-90 ms twice a burst (seen as gen_lag), inflating every answer in flight; its
    # garbage is freed by reference counting, so the collector stays off for the burst.
    gc.collect()
    gc.disable()
    cpu0, t0 = time.process_time(), loop.time()
    stats["t0"] = time.perf_counter()
    for i in range(total):
        due = t0 + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        stats["lag"] = max(stats["lag"], loop.time() - due)
        stats["lags"].append((due - t0, loop.time() - due))
        tasks.append(asyncio.create_task(visitor(i, port, stats)))
    sent_cpu, sent_wall = time.process_time() - cpu0, loop.time() - t0
    await asyncio.gather(*tasks)
    gc.enable()
    stats["gen_cpu"] = sent_cpu / sent_wall
    stats["total"] = total
    return stats


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def print_timeline(stats: dict) -> None:
    """Per second of the burst: POSTs started, their p99 and max, the generator's worst lag."""
    seconds: dict[int, list[float]] = {}
    for at, took in zip(stats["post_at"], stats["post"], strict=True):
        seconds.setdefault(int(at - stats["t0"]), []).append(took)
    lags: dict[int, float] = {}
    for due, lag in stats["lags"]:
        lags[int(due)] = max(lags.get(int(due), 0.0), lag)
    for second in sorted(seconds):
        took = seconds[second]
        print(f"t={second:3d}s posts={len(took):4d} p99={pct(took, 99) * 1000:7.1f} ms "
              f"max={max(took) * 1000:7.1f} ms gen_lag={lags.get(second, 0.0) * 1000:6.1f} ms",
              file=sys.stderr)


# ---------------------------------------------------------------- processes

def tree_cpu(pid: int) -> float:
    """utime+stime (and reaped children's) of pid and its live descendants, in seconds."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15]) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def wait_quiet(procs: list[subprocess.Popen], timeout: float = 60.0) -> None:
    """Until the process trees use under 5% of a core over half a second (start-up done)."""
    deadline = time.monotonic() + timeout
    before = sum(tree_cpu(p.pid) for p in procs)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = sum(tree_cpu(p.pid) for p in procs)
        if now - before < 0.025:
            return
        before = now
    raise RuntimeError("the web and worker processes did not settle after start-up")


def stop_tree(proc: subprocess.Popen) -> None:
    """SIGTERM the process group and wait (gunicorn and the worker shut down cleanly)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def procfile_line(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise RuntimeError(f"no {name} in Procfile")


def job_cost(database_url: str, redis_url: str, instance: Path, jobs: int) -> dict:
    """Wall time per small real job (a sign-up recording pass with nothing to record) under
    RQ's forking Worker (a work horse per job) and under SimpleWorker (in the process)."""
    from rq import SimpleWorker, Worker

    from newsletter.config import Settings
    from newsletter.runtime import Runtime
    from newsletter.subscribers.jobs import record_signups

    runtime = Runtime(Settings.from_env(instance=instance, database_url=database_url,
                                        redis_url=redis_url, secret_key=SECRET,
                                        queue_name=f"bench-{os.getpid()}")).activate()
    out = {}
    for name, cls in (("forking_ms_per_job", Worker), ("simple_ms_per_job", SimpleWorker)):
        for _ in range(jobs):
            runtime.signup_queue.enqueue(record_signups, result_ttl=0)
        start = time.perf_counter()
        cls([runtime.signup_queue], connection=runtime.redis).work(burst=True,
                                                                    logging_level="ERROR")
        out[name] = round((time.perf_counter() - start) / jobs * 1000, 1)
    runtime.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="sign-ups per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the burst")
    parser.add_argument("--wait", type=float, default=300.0,
                        help="longest wait for the confirmations after the burst, seconds")
    parser.add_argument("--updates", type=int, default=400,
                        help="published updates per topic (GET /subscribe used to scan them)")
    parser.add_argument("--timeline", action="store_true",
                        help="also print, per second of the burst, POST count/p99/max and the "
                             "generator's worst lag (to stderr), to see where a tail comes from")
    parser.add_argument("--job-cost", type=int, metavar="N",
                        help="instead: time N small jobs under RQ's Worker and SimpleWorker")
    args = parser.parse_args()

    from bench.support.host import python_us
    from bench.support.workers import PostgresCpu
    from newsletter.migrate import upgrade
    from tests.support.services import PostgresDatabase, RedisDatabase

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    database, redis_db = PostgresDatabase(), RedisDatabase()
    database_url, redis_url = database.create(), redis_db.acquire()
    instance = Path(tempfile.mkdtemp(prefix="bench-signup-"))
    smtp_port, web_port = free_port(), free_port()
    sink = __import__("multiprocessing").Process(target=run_sink, args=(smtp_port,), daemon=True)
    procs: list[subprocess.Popen] = []
    finished = False
    try:
        upgrade(database_url)
        if args.job_cost:
            print(json.dumps({**job_cost(database_url, redis_url, instance, args.job_cost),
                              "load": os.getloadavg()[0]}))
            finished = True
            return
        update_ids = seed(database_url, args.updates, 200)
        sink.start()
        wait_port(smtp_port)
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
               "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "SECRET_KEY": SECRET,
               "BASE_URL": "https://news.example.test", "NEWSLETTER_INSTANCE": str(instance),
               "RQ_QUEUE": f"bench-{os.getpid()}", "TRUSTED_PROXIES": "1",
               "PORT": str(web_port), "PYTHONUNBUFFERED": "1"}
        log = (instance / "procs.log").open("ab")
        for name in ("web", "worker"):
            procs.append(subprocess.Popen(["sh", "-c", "exec " + procfile_line(name)], cwd=ROOT,
                                          env={**env, "PATH": f"{ROOT / '.venv/bin'}:"
                                               f"{env['PATH']}"},
                                          stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True))
        wait_port(web_port)
        # gunicorn's arbiter listens before its processes have built the app, and the worker
        # renders its mail at start: a burst sent now measures start-up, not serving.
        wait_quiet(procs)
        send_at = datetime.now(UTC) + timedelta(seconds=args.seconds / 2 + 2)
        edition_id = schedule_edition(env, update_ids, send_at)
        host_before = python_us()
        cpu_before = [tree_cpu(p.pid) for p in procs]
        postgres = PostgresCpu(database_url)
        postgres.start()
        print(f"burst: {args.rate:g}/s for {args.seconds:g} s; edition {edition_id} at "
              f"{send_at:%H:%M:%S}", file=sys.stderr, flush=True)
        stats = asyncio.run(generate(web_port, args.rate, args.seconds))
        burst_end = time.time()
        deadline = time.monotonic() + args.wait
        sent = sink_stats(smtp_port)
        while sent["addresses"] < stats["accepted"] and time.monotonic() < deadline:
            time.sleep(0.5)
            sent = sink_stats(smtp_port)
        cpu = [round(tree_cpu(p.pid) - b, 1) for p, b in zip(procs, cpu_before, strict=True)]
        cpu.append(round(postgres.stop(), 1))
        import psycopg
        with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
            started = conn.execute("SELECT started_at, send_at FROM edition WHERE id = %s",
                                   (edition_id,)).fetchone()
        delay = (started[0] - started[1]).total_seconds() if started[0] else None
        last_post = stats["last_post"] or burst_end
        done = sent["addresses"] >= stats["accepted"]
        result = {
            "rate": args.rate, "seconds": args.seconds, "signups": stats["total"],
            "accepted": stats["accepted"], "errors": stats["errors"],
            "post_p50_ms": round(pct(stats["post"], 50) * 1000, 1),
            "post_p99_ms": round(pct(stats["post"], 99) * 1000, 1),
            "get_p99_ms": round(pct(stats["get"], 99) * 1000, 1),
            "inbox_p99_ms": round(pct(stats["inbox"], 99) * 1000, 1),
            "confirmed": sent["addresses"], "extra_copies": sent["extra"],
            "confirm_s": round(sent["last"] - last_post, 1) if done else None,
            "edition_delay_s": round(delay, 1) if delay is not None else None,
            "gen_cpu": round(stats["gen_cpu"], 2), "lag_ms": round(stats["lag"] * 1000, 1),
            "cpu_s": {"web": cpu[0], "worker": cpu[1], "postgres": cpu[2]},
            "load": os.getloadavg()[0], "host_us": [host_before, python_us()],
        }
        if args.timeline:
            print_timeline(stats)
        print(json.dumps(result))
        finished = True
    finally:
        for proc in procs:
            stop_tree(proc)
        if sink.is_alive():
            sink.terminate()
        redis_db.release()
        database.drop()
        if finished:  # the secret key and the processes' log go; a failed run keeps them
            shutil.rmtree(instance, ignore_errors=True)
        else:
            print(f"processes' log: {instance / 'procs.log'}", file=sys.stderr)


if __name__ == "__main__":
    main()
