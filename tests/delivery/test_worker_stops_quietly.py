"""A real `python worker.py` stopped as `newsletter run` and a terminal stop it: it exits
without a traceback, its cron child included (RQ's cron scheduler used to raise StopRequested
again when a second signal came while it unregistered itself)."""

from __future__ import annotations

import os
import signal

import psutil
import pytest
from rq import Worker
from rq.cron_scheduler_registry import get_keys

from tests.delivery.processes import WorkerProcess, wait_for, worker_env


@pytest.fixture
def worker(settings, runtime, tmp_path):  # noqa: ANN001, ANN201
    process = WorkerProcess(worker_env(settings, tmp_path / "instance"), tmp_path / "worker.log")
    try:
        wait_for(lambda: len(Worker.all(queue=runtime.queue)) == 1 and get_keys(runtime.redis),
                 60, "the worker and its cron scheduler", workers=[process])
        yield process
    finally:
        process.stop()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM to the worker", "SIGINT to its process group"])
def test_a_stopped_worker_exits_without_a_traceback(worker, runtime, how) -> None:  # noqa: ANN001
    cron = psutil.Process(worker.proc.pid).children()
    if how == "SIGTERM to the worker":  # what `newsletter run` and a supervisor send
        worker.proc.send_signal(signal.SIGTERM)
    else:  # Ctrl-C in a terminal reaches every process of the group
        os.killpg(worker.proc.pid, signal.SIGINT)

    assert worker.proc.wait(20) == 0
    assert not [p for p in cron if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert "Traceback" not in worker.output()
    assert get_keys(runtime.redis) == []  # the cron scheduler unregistered itself to the end
