"""Real `python worker.py` processes for crash and concurrency tests.

`kill()` takes down the worker's whole process tree, like `kill -9` of the whole service
would: the worker, its cron child and its work horse, which RQ moves to a process group of
its own (`os.setpgrp()`), so killing the worker's group alone would let it finish its batch.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from newsletter.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def worker_env(settings: Settings, instance: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env.update({
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "SMTP_URL": settings.smtp_url or "",
        "BASE_URL": settings.base_url,
        "SECRET_KEY": settings.secret_key,
        "MAIL_FROM": settings.mail_from,
        "NEWSLETTER_INSTANCE": str(instance),
        "RQ_QUEUE": settings.queue_name,
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


class WorkerProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env,
                                     stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.killed: list[psutil.Process] = []

    def kill(self) -> None:
        """SIGKILL to the worker and every process under it, work horse included.

        The worker is stopped first so it cannot fork a new horse while the tree is listed.
        """
        try:
            root = psutil.Process(self.proc.pid)
            root.suspend()
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            tree = []
        for process in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._out.close()
        self.killed += tree

    def survivors(self, timeout: float = 10) -> list[psutil.Process]:
        """Killed processes still running (a zombie waiting to be reaped runs nothing)."""
        deadline = time.monotonic() + timeout
        while True:
            alive = [p for p in self.killed if _running(p)]
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for(check: Callable[[], bool], timeout: float, what: str, workers=()) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        for worker in workers:
            if worker.proc.poll() is not None:
                raise AssertionError(f"worker exited early:\n{worker.output()[-3000:]}")
        time.sleep(0.2)
    logs = "\n".join(w.output()[-2000:] for w in workers)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs}")
