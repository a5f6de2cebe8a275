"""Count what one request costs in round trips to PostgreSQL and Redis, as the server sees
them: every statement psycopg sends (the pool's pre-ping included) and every transaction
command (BEGIN, COMMIT, ROLLBACK), every Redis command, a pipeline counting once.

Used by tests that pin a hot path's round trips and by bench/web_cpu.py. It wraps
psycopg's and redis-py's own entry points rather than SQLAlchemy's events, because
SQLAlchemy's `before_cursor_execute` does not see psycopg's implicit BEGIN, the COMMIT or
the pool's pre-ping, and each of those is a round trip too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from psycopg import _connection_base
from redis.client import Pipeline, Redis


@dataclass
class Trips:
    statements: list[str] = field(default_factory=list)  # SQL text sent, in order
    transaction: list[str] = field(default_factory=list)  # BEGIN / COMMIT / ROLLBACK
    redis: list[str] = field(default_factory=list)  # command names, "pipeline" once each

    @property
    def database(self) -> int:
        return len(self.statements) + len(self.transaction)


@contextmanager
def counting() -> Iterator[Trips]:
    """Count round trips made (by any thread) while the block runs."""
    trips = Trips()
    execute, command = psycopg.Cursor.execute, _connection_base.BaseConnection._exec_command
    one, many = Redis.execute_command, Pipeline.execute

    def sql(self, query, *args, **kwargs):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN002, ANN003
        trips.statements.append(query if isinstance(query, str) else str(query))
        return execute(self, query, *args, **kwargs)

    def tx(self, text, *args, **kwargs):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN002, ANN003
        trips.transaction.append(bytes(text).decode() if isinstance(text, bytes | bytearray)
                                 else str(text))
        return command(self, text, *args, **kwargs)

    def redis_one(self, *args, **kwargs):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN002, ANN003
        trips.redis.append(str(args[0]))
        return one(self, *args, **kwargs)

    def redis_many(self, *args, **kwargs):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN002, ANN003
        trips.redis.append("pipeline")
        return many(self, *args, **kwargs)

    psycopg.Cursor.execute = sql  # type: ignore[method-assign]
    _connection_base.BaseConnection._exec_command = tx  # type: ignore[method-assign]
    Redis.execute_command, Pipeline.execute = redis_one, redis_many  # type: ignore[method-assign]
    try:
        yield trips
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        _connection_base.BaseConnection._exec_command = command  # type: ignore[method-assign]
        Redis.execute_command, Pipeline.execute = one, many  # type: ignore[method-assign]
