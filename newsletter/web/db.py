"""One SQLAlchemy session per request, closed at teardown; views commit explicitly."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from ..runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["newsletter"]


def db() -> Session:
    if "db" not in g:
        g.db = runtime().Session()
    return g.db


def _close(_exc: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
