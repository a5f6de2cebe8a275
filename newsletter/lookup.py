"""Fetch one row by id or raise NotFound with a message a person can read."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from .errors import NotFound

T = TypeVar("T")

MAX_ID = 2**31 - 1  # primary keys are 32-bit integers on PostgreSQL and SQLite alike


def is_db_id(value: object) -> bool:
    """A whole number a primary key can hold: larger ones make PostgreSQL raise (and psycopg
    overflow) instead of simply matching nothing."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def get_or_404(session: Session, model: type[T], ident: int, message: str) -> T:
    row = session.get(model, ident) if is_db_id(ident) else None
    if row is None:
        raise NotFound(message)
    return row
