"""The real PostgreSQL and Redis of this machine, one database and one Redis db per test run."""

from __future__ import annotations

import os
import uuid

import psycopg
from psycopg import sql
from redis import Redis

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
LOCK_KEY = "newsletter:test-run-lock"


class PostgresDatabase:
    """CREATE a throwaway database for this run and DROP it at the end."""

    def __init__(self) -> None:
        self.name = f"nl_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(PG_ADMIN, autocommit=True)

    def create(self) -> str:
        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        return f"{base}/{self.name}"

    def drop(self) -> None:
        with self.admin() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (self.name,),
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.name)))


class RedisDatabase:
    """Take a free Redis db number (1-15) with a lock key, so parallel runs do not collide."""

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex
        self.db: int | None = None

    @property
    def url(self) -> str:
        return f"{REDIS_BASE}/{self.db}"

    def acquire(self) -> str:
        for db in range(1, 16):
            client = Redis.from_url(f"{REDIS_BASE}/{db}")
            if client.set(LOCK_KEY, self.token, nx=True, ex=6 * 3600):
                self.db = db
                self._keep_only_lock(client)
                return f"{REDIS_BASE}/{db}"
        raise RuntimeError("no free Redis db between 1 and 15 for this test run")

    def _keep_only_lock(self, client: Redis) -> None:
        client.flushdb()
        client.set(LOCK_KEY, self.token, ex=6 * 3600)

    def flush(self) -> None:
        if self.db is not None:
            self._keep_only_lock(Redis.from_url(f"{REDIS_BASE}/{self.db}"))

    def release(self) -> None:
        if self.db is not None:
            Redis.from_url(f"{REDIS_BASE}/{self.db}").flushdb()
