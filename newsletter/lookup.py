"""Fetch one row by id or raise NotFound with a message a person can read."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from .errors import NotFound

T = TypeVar("T")


def get_or_404(session: Session, model: type[T], ident: int, message: str) -> T:
    row = session.get(model, ident)
    if row is None:
        raise NotFound(message)
    return row
