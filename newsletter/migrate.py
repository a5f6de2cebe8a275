"""Alembic, driven from code so `newsletter init-db` works without an alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from .instance import sqlite_file

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    sqlite_file(database_url)  # a new SQLite file is created private, not by SQLite
    command.upgrade(alembic_config(database_url), revision)
