"""Pay a new web process's first-request costs before it takes traffic.

A process builds the app lazily: the first query configures every SQLAlchemy mapper (~40 ms
here), each page's first render compiles its Jinja templates (~240 ms for all of them), and
each thread's first request opens its PostgreSQL and Redis connections. Measured in a 200/s
sign-up burst against fresh processes on this 2-core machine, the first second's POST p99 was
75–80 ms (against ~5 ms after it); with this warm-up, 26 ms. None of it reads data, so no page
cache is filled before the first real request: a topic added right after start-up shows at
once. A database that is down at start-up only costs the connections' part (logged): the
process still starts and answers 503 until it is back.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack

from flask import Flask
from redis import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import configure_mappers

from newsletter.runtime import Runtime

log = logging.getLogger(__name__)

TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")


def warm(app: Flask) -> int:
    """Configure the mappers, compile every page template and open one database and one Redis
    connection per thread; returns the number of templates compiled."""
    configure_mappers()
    names = app.jinja_env.list_templates(
        filter_func=lambda name: name.endswith(TEMPLATE_SUFFIXES))
    for name in names:
        app.jinja_env.get_template(name)
    runtime: Runtime = app.extensions["newsletter"]
    try:
        open_connections(runtime, runtime.settings.database_pool_size)
    except (SQLAlchemyError, RedisError, OSError) as exc:
        log.warning("warm-up: could not open the connections ahead (%s); they open on demand",
                    exc)
    return len(names)


def open_connections(runtime: Runtime, count: int) -> None:
    """Fill both pools with `count` live connections, held at once so each one is new."""
    with ExitStack() as stack:
        for _ in range(count):
            stack.enter_context(runtime.engine.connect())
    pool = runtime.redis.connection_pool
    held = []
    try:
        for _ in range(count):
            held.append(pool.get_connection())
    finally:
        for conn in held:
            pool.release(conn)
