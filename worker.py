"""Start an RQ worker for the newsletter queues, with RQ's scheduler and the cron tick.

`python worker.py` (Procfile `worker:`). Several can run against the same Redis and
database; claims in the delivery ledger keep them from sending the same row twice.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys

from newsletter import defaults


def run_cron(redis_url: str, queue_name: str, tick_seconds: int) -> None:
    """RQ's cron scheduler enqueues the tick; several copies only make the tick run more often."""
    from redis import Redis
    from rq.cron import CronScheduler

    from newsletter.jobs import tick

    class StopsOnce(CronScheduler):  # type: ignore[misc]
        """A second stop signal is ignored. Ctrl-C reaches this process, then the worker's
        terminate() (and multiprocessing's own at exit) sends SIGTERM. RQ raised StopRequested
        again while the scheduler unregistered itself, and a traceback ended `newsletter run`."""

        stopping = False

        def _request_stop(self, signum: int, frame: object) -> None:
            if not self.stopping:
                self.stopping = True
                super()._request_stop(signum, frame)

    scheduler = StopsOnce(connection=Redis.from_url(redis_url), logging_level="WARNING")
    scheduler.register(tick, queue_name=queue_name, interval=tick_seconds,
                       job_timeout=defaults.TICK_JOB_TIMEOUT)
    scheduler.start()


def main() -> int:
    import newsletter.jobs  # noqa: F401 - imported once, before the first job
    import newsletter.subscribers.jobs  # noqa: F401
    from newsletter import heap
    from newsletter.config import Settings
    from newsletter.mail import transactional
    from newsletter.runtime import WORKER_CLASS, Runtime

    # RQ's own per-job lines stay at LOG_LEVEL (WARNING); the project's one line per edition
    # start/finish/pause, retry wave, feed poll round and confirmation mail shows at INFO.
    runtime = Runtime(Settings.from_env()).activate()
    s = runtime.settings
    level = s.log_level
    logging.basicConfig(level=level, format="%(asctime)s worker %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("newsletter").setLevel(s.app_log_level)
    transactional.warm(s.list_name, s.base_url)
    heap.settle()  # before the cron child forks: neither walks the start-up heap again
    cron = multiprocessing.Process(
        target=run_cron, args=(runtime.redis_url, s.queue_name, s.tick_seconds), daemon=True
    )
    cron.start()
    try:
        # the main queue first: the tick, editions and feed polls never wait behind sign-ups
        worker = WORKER_CLASS(runtime.queues, connection=runtime.redis)
        worker.work(with_scheduler=True, logging_level=level)
    finally:
        cron.terminate()
        cron.join(5)  # it unregisters itself before this process exits
    return 0


if __name__ == "__main__":
    sys.exit(main())
