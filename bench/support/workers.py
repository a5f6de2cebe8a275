"""The delivery benchmark's path through production: API call, real `python worker.py`s.

The edition is created with `POST /api/v1/editions` (a bearer token made by the accounts
service, as `newsletter create-token` does) and sent by the Procfile's `python worker.py`
processes on the environment's settings alone (production defaults, SMTP_RATE unset), timed
from the API call until `GET /api/v1/editions/<id>` says `sent`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE_KB = os.sysconf("SC_PAGE_SIZE") / 1024


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _rss_mb(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB / 1024
    except (OSError, IndexError, ValueError):
        return 0.0


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # own time plus that of waited-for children (RQ's work horses are reaped by the worker)
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


@dataclass
class Workers:
    """`count` real `python worker.py` processes with RSS sampling of each process tree.

    A tree is the worker, its cron scheduler child and the work horse RQ forks per job. The
    horse shares the worker's pages copy-on-write, so the tree sum over-counts; the largest
    single process is the figure to compare with a one-process sender.
    """

    env: dict[str, str]
    count: int = 2
    log_dir: Path | None = None  # each worker's output goes to worker-N.log here
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    peak_process_mb: float = 0.0
    peak_tree_mb: float = 0.0

    def start(self, redis_url: str, timeout: float = 60.0) -> float:
        from redis import Redis
        from rq import Worker

        began = time.perf_counter()
        for n in range(self.count):
            log = None
            if self.log_dir is not None:  # RQ's cron child prints a traceback when stopped
                self.log_dir.mkdir(parents=True, exist_ok=True)
                log = (self.log_dir / f"worker-{n + 1}.log").open("wb")
            self.procs.append(subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT,
                                               env=self.env, start_new_session=True,
                                               stdout=log, stderr=log))
        redis = Redis.from_url(redis_url)
        while len(Worker.all(connection=redis)) < self.count:
            if time.perf_counter() - began > timeout or any(p.poll() is not None for p in self.procs):
                raise SystemExit("the workers did not start")
            time.sleep(0.1)
        return time.perf_counter() - began

    def sample(self) -> None:
        tree = _children()
        for proc in self.procs:
            pids, todo = [], [proc.pid]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(tree.get(pid, []))
            sizes = [_rss_mb(pid) for pid in pids]
            self.peak_process_mb = max(self.peak_process_mb, *sizes)
            self.peak_tree_mb = max(self.peak_tree_mb, sum(sizes))

    def cpu_seconds(self) -> float:
        return sum(_cpu_s(p.pid) for p in self.procs)

    def kill(self) -> int:
        """SIGKILL every process of every tree (worker, cron child, work horse: RQ's horse
        calls setpgrp, so the worker's group alone would miss it); the pids that were killed,
        once none of them runs any more."""
        import psutil

        tree: list[psutil.Process] = []
        for proc in self.procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                root = psutil.Process(proc.pid)
                root.suspend()  # no new horse while the tree is listed
                tree += [root, *root.children(recursive=True)]
        for process in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        _gone, alive = psutil.wait_procs(tree, timeout=10)
        alive = [p for p in alive if _running(p)]
        if alive:
            raise SystemExit(f"still running after SIGKILL: {[p.pid for p in alive]}")
        self.procs = []
        return len(tree)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then kill what is left of each session (horse included)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _running(process: object) -> bool:
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def worker_env(database_url: str, redis_url: str, smtp_url: str, instance: Path,
               secret_key: str, base_url: str, mail_from: str) -> dict[str, str]:
    """Only what a deployment must set; every other setting stays at its default."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMTP_", "DELIVERY_", "RQ_", "NEWSLETTER_"))}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, SMTP_URL=smtp_url,
               SECRET_KEY=secret_key, BASE_URL=base_url, MAIL_FROM=mail_from,
               NEWSLETTER_INSTANCE=str(instance), PYTHONPATH=str(ROOT))
    return env


def api_token(database_url: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from newsletter.accounts.service import create_editor, create_token

    engine = create_engine(database_url)
    with Session(engine) as session:
        editor = create_editor(session, "bench-editor@example.com", "bench-password-123")
        token = create_token(session, editor, "bench")
        session.commit()
    engine.dispose()
    return token


def send_through_api(env: dict[str, str], token: str, update_ids: list[int], workers: Workers,
                     poll_every: float = 0.05, timeout: float = 3600.0) -> dict[str, float]:
    """POST the edition, poll its status until sent; returns the id, seconds and counts
    (GET /api/v1/editions/<id> once it is sent)."""
    client = api_client(env)
    auth = {"Authorization": f"Bearer {token}"}
    cpu_before = workers.cpu_seconds()
    postgres = PostgresCpu(env["DATABASE_URL"])
    postgres.start()
    began = time.perf_counter()
    answer = client.post("/api/v1/editions", headers=auth, json={
        "subject": "Your morning briefing", "update_ids": update_ids, "send_at": None})
    if answer.status_code != 201:
        raise SystemExit(f"POST /api/v1/editions: {answer.status_code} {answer.get_data(True)}")
    edition_id = answer.get_json()["id"]
    # the status column alone, every 50 ms: the API's answer also counts the edition's rows
    # by status (~10-25 ms of PostgreSQL for 20,000 rows on this machine), which at this
    # rate would take a sizeable share of the cores from the workers being measured
    import psycopg

    dsn = env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.perf_counter() - began < timeout:
            workers.sample()
            (current,) = conn.execute("SELECT status FROM edition WHERE id = %s",
                                      (edition_id,)).fetchone()
            if current == "sent":
                break
            time.sleep(poll_every)
        else:
            raise SystemExit(f"edition {edition_id} not sent after {timeout:.0f} s: {current}")
    seconds = time.perf_counter() - began
    workers.sample()
    status = client.get(f"/api/v1/editions/{edition_id}", headers=auth).get_json()
    return {"edition_id": edition_id, "seconds": seconds, "total": status["total"],
            "sent": status["sent"], "failed": status["failed"],
            "worker_cpu_s": workers.cpu_seconds() - cpu_before,
            "postgres_cpu_s": postgres.stop()}


def api_client(env: dict[str, str]):  # noqa: ANN201 - a Flask test client
    """A test client of the app on the workers' settings (the API the editors call)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from newsletter import create_app

        return create_app().test_client()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def claim_to_accept_ms(database_url: str, edition_id: int,
                       accepted: dict[int, float]) -> dict[str, float]:
    """Per copy: the sink's acceptance time minus the ledger's claimed_at for that row."""
    import statistics

    import psycopg

    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT subscriber_id, extract(epoch FROM claimed_at)::float8"
                            " FROM delivery WHERE edition_id = %s AND status = 'sent'",
                            (edition_id,)).fetchall()
    waits = sorted((accepted[sid] - claimed) * 1000 for sid, claimed in rows if sid in accepted)
    if len(waits) < 2:
        return {"matched": len(waits)}
    cuts = statistics.quantiles(waits, n=100, method="inclusive")
    return {"matched": len(waits), "p50_ms": round(cuts[49], 1), "p99_ms": round(cuts[98], 1),
            "max_ms": round(waits[-1], 1)}


class PostgresCpu:
    """CPU seconds of the PostgreSQL backends serving one database (found in
    pg_stat_activity), between `start` and `stop`: a backend new since `start` counts from
    zero. PostgreSQL's shared background processes (WAL writer, checkpointer) are not in it,
    and a backend that exits in between takes its seconds with it (the workers keep theirs)."""

    def __init__(self, database_url: str) -> None:
        self.dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.before: dict[int, float] = {}

    def _backends(self) -> dict[int, float]:
        import psycopg

        with psycopg.connect(self.dsn) as conn:
            pids = [r[0] for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()")]
        return {pid: _cpu_s(pid) for pid in pids}

    def start(self) -> None:
        self.before = self._backends()

    def stop(self) -> float:
        after = self._backends()
        return sum(max(0.0, cpu - self.before.get(pid, 0.0)) for pid, cpu in after.items())


def delivery_table_size(database_url: str) -> dict[str, float]:
    import psycopg

    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        size, rows = conn.execute("SELECT pg_total_relation_size('delivery'),"
                                  " (SELECT count(*) FROM delivery)").fetchone()
    return {"delivery_rows": rows, "delivery_mb": round(size / 2**20, 1),
            "db_mb_per_million_deliveries": round(size / max(rows, 1) * 1e6 / 2**20, 1)}
