"""`newsletter bounces …`: classify messages for a person debugging, receive one from an MTA."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

from .classify import classify as classify_message

MAX_FILE = 50 * 1024 * 1024


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
