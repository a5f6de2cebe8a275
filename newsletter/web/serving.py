"""gunicorn's settings for the web process, one file for the Procfile, `newsletter run` and
the benchmarks (`gunicorn --config python:newsletter.web.serving 'newsletter:create_app()'`).

Measured on this 2-core machine (README, "Web processes"): a public request costs well under
a millisecond of Python and waits on Redis or PostgreSQL for a fraction of that, so two
processes (one per core) keep the cores busy; a few threads each cover those waits and a
slow client without queueing the next request behind it. More threads per process only
queue more requests on one GIL and stretch the tail.

Environment: PORT, WEB_CONCURRENCY (processes, default 2), WEB_THREADS (threads per process,
default 4), WEB_WORKER_CLASS (default gthread). Each process's database pool gets one
connection per thread (DATABASE_POOL_SIZE, unless set): no thread waits for a connection,
and PostgreSQL sees processes × threads connections at most (plus a small overflow).
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


def post_worker_init(worker: object) -> None:
    """The app is built in each process (no preload): warm it (warmup.py), then freeze its
    long-lived heap, compiled templates included (heap.py).

    The GIL's switch interval stays Python's 5 ms: 1 ms (tried for the threads that come
    back from Redis and wait for the GIL) made a 200/s sign-up burst far slower (POST
    p50 441–822 ms against 11–58 ms, and more CPU per request), every thread paying for the
    extra hand-overs."""
    from flask import Flask

    from newsletter import heap
    from newsletter.web import warmup

    app = getattr(worker, "wsgi", None)
    if isinstance(app, Flask):
        warmup.warm(app)
    heap.settle()
