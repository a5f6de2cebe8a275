"""`newsletter bounces …`: classify messages for a person debugging, receive one from an MTA."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from .classify import classify as classify_message

MAX_FILE = 50 * 1024 * 1024
EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the message and tries again later
log = logging.getLogger(__name__)


@click.group("bounces")
def bounces() -> None:
    """Returned mail: classify it or take it in."""


def _files(paths: tuple[str, ...]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            yield path


@bounces.command("classify")
@click.argument("paths", nargs=-1, required=True)
def classify(paths: tuple[str, ...]) -> None:
    """Print one JSON line per message in PATHS (files or folders); changes nothing."""
    problems = 0
    for path in _files(paths):
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_FILE)
        except OSError as exc:
            click.echo(f"Error: cannot read {path}: {exc.strerror or exc}", err=True)
            problems += 1
            continue
        click.echo(classify_message(data).json_line(str(path)))
    if problems:
        sys.exit(1)


@bounces.command("receive")
@with_appcontext
def receive() -> None:
    """Take one returned message on standard input (an MTA pipe).

    Exit 0 when it is handled (stored, even if it matched nothing), 75 when it could not be
    stored now (database down) so the MTA retries instead of losing it.
    """
    from ..web.db import runtime
    from .intake import take_in

    raw = sys.stdin.buffer.read(MAX_FILE)
    if not raw.strip():
        click.echo("Error: no message on standard input.", err=True)
        sys.exit(2)
    rt = runtime()
    try:
        with rt.session() as session:
            result = take_in(session, rt.settings, raw, "pipe")
    except (SQLAlchemyError, OSError) as exc:
        log.warning("returned message not stored, will be retried: %s", exc)
        click.echo(f"Error: cannot store the message now ({type(exc).__name__}); try again later.",
                   err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
