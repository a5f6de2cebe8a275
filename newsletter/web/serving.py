"""gunicorn's settings for the web process, one file for the Procfile, `newsletter run` and
the benchmarks (`gunicorn --config python:newsletter.web.serving 'newsletter:create_app()'`).

Measured on this 2-core machine (README, "Web processes"): a public request costs well under
a millisecond of Python and waits on Redis or PostgreSQL for a fraction of that, so two
processes (one per core) keep the cores busy; a few threads each cover those waits and a
slow client without queueing the next request behind it. More threads per process only
queue more requests on one GIL and stretch the tail.

Environment: PORT, WEB_CONCURRENCY (processes, default 2), WEB_THREADS (threads per process,
default 4), WEB_WORKER_CLASS (default gthread), WEB_SWITCH_INTERVAL_MS (default 1, below).
Each process's database pool gets one connection per thread (DATABASE_POOL_SIZE, unless
set): no thread waits for a connection, and PostgreSQL sees processes × threads
connections at most (plus a small overflow).
"""

from __future__ import annotations

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread")
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = 5  # seconds an idle keep-alive connection is held open (gthread)
logger_class = "newsletter.web.access_log.RedactingLogger"
if os.environ.get("NEWSLETTER_CONTROL_SOCKET"):  # `newsletter run`: under instance/
    control_socket = os.environ["NEWSLETTER_CONTROL_SOCKET"]
else:
    control_socket_disable = True
raw_env = [f"DATABASE_POOL_SIZE={os.environ.get('DATABASE_POOL_SIZE') or threads}"]


# A thread that finished waiting on Redis, PostgreSQL or the client must take the GIL back
# before it can go on; while another thread runs Python it waits up to the switch interval,
# 5 ms by default, and a sign-up's POST waits on I/O five times. A shorter interval hands
# the GIL over sooner, for a little more switching.
switch_interval = float(os.environ.get("WEB_SWITCH_INTERVAL_MS", "1")) / 1000


def post_worker_init(worker: object) -> None:
    """The app is built in each process (no preload): freeze its long-lived heap (heap.py)
    and shorten the GIL's switch interval."""
    import sys

    from newsletter import heap

    heap.settle()
    sys.setswitchinterval(switch_interval)
