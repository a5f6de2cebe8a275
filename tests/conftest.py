"""Shared fixtures: real PostgreSQL, Redis and SMTP for every test that needs them.

One PostgreSQL database (created, migrated with Alembic, dropped) and one Redis db number
per test run; tables are truncated and the Redis db flushed after each test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.orm import Session

from newsletter import create_app
from newsletter.config import Settings
from newsletter.migrate import upgrade
from newsletter.models import Base
from newsletter.runtime import WORKER_CLASS, Runtime
from tests.support import unclosed
from tests.support.app import TEST_CONFIG, LiveServer, close_embedded
from tests.support.services import PostgresDatabase, RedisDatabase
from tests.support.smtp import SmtpSink

unclosed.install()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Unix sockets the guard closed (tests/support/unclosed.py), with where they were made."""
    if unclosed.reported:
        terminalreporter.section("unclosed unix sockets, closed by the suite's guard")
        for text in unclosed.reported:
            terminalreporter.write_line(text)

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
# argon2 at production cost takes ~0.4 s per hash or check; tests log in hundreds of times
CHEAP_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Editors' passwords hash with tiny argon2 parameters, except in tests marked
    `production_argon2`, which check the parameters real accounts get."""
    if request.node.get_closest_marker("production_argon2") is None:
        monkeypatch.setattr("newsletter.accounts.service._hasher", CHEAP_PASSWORD_HASHER)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    database = PostgresDatabase()
    url = database.create()
    try:
        upgrade(url)
        yield url
    finally:
        database.drop()


@pytest.fixture(scope="session")
def redis_db() -> Iterator[RedisDatabase]:
    database = RedisDatabase()
    database.acquire()
    try:
        yield database
    finally:
        database.release()


@pytest.fixture(scope="session")
def redis_url(redis_db: RedisDatabase) -> str:
    return redis_db.url


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


def _truncate(runtime: Runtime) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with runtime.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def settings(tmp_path: Path, postgres_url: str, redis_url: str, smtp: SmtpSink) -> Settings:
    return Settings.from_env(
        instance=tmp_path / "instance",
        database_url=postgres_url,
        redis_url=redis_url,
        smtp_url=smtp.url,
        base_url="https://news.example.test",
        secret_key="test-secret-key-not-for-production",
        mail_from="The Briefing <briefing@news.example.test>",
        smtp_retry_delays=(60, 300),
        smtp_rate=None,
        feeds_allow_private=True,
    )


@pytest.fixture
def app(settings: Settings, redis_db: RedisDatabase) -> Iterator[Flask]:
    app = create_app(settings, TEST_CONFIG)
    runtime: Runtime = app.extensions["newsletter"]
    try:
        yield app
    finally:
        _truncate(runtime)
        redis_db.flush()
        runtime.engine.dispose()


@pytest.fixture
def runtime(app: Flask) -> Runtime:
    return app.extensions["newsletter"]


@pytest.fixture
def db(runtime: Runtime) -> Iterator[Session]:
    with runtime.Session() as session:
        yield session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def work(runtime: Runtime) -> Callable[[], None]:
    """Run the worker class and queues of worker.py until the queues are empty."""

    def run() -> None:
        WORKER_CLASS(runtime.queues, connection=runtime.redis).work(
            burst=True, logging_level="WARNING")

    return run


@pytest.fixture
def embedded_app(tmp_path: Path) -> Iterator[Flask]:
    """The `make run` defaults: SQLite under instance/, embedded Redis, .eml outbox."""
    instance = tmp_path / "embedded"
    settings = Settings.from_env(
        instance=instance, database_url=f"sqlite:///{instance / 'newsletter.db'}",
        redis_url=None, smtp_url=None, base_url="http://127.0.0.1:8000",
        secret_key="embedded-test-secret",
    )
    upgrade(settings.database_url)
    app = create_app(settings, TEST_CONFIG)
    try:
        yield app
    finally:
        close_embedded(app)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
