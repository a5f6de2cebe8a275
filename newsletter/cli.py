"""The `newsletter` command (also `flask --app newsletter …`): thin wrappers over services."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from .bounces.commands import bounces
from .errors import NewsletterError
from .feeds.commands import poll_feeds
from .web.db import runtime

ROOT = Path(__file__).resolve().parents[1]


def _fail(exc: NewsletterError) -> None:
    click.echo(f"Error: {exc.message}", err=True)
    sys.exit(2 if exc.status_code in (400, 422) else 1)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or migrate the schema (Alembic)."""
    from .migrate import upgrade

    upgrade(runtime().settings.database_url)
    click.echo("Database is up to date.")


@click.command("create-editor")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--name", default="", help="Name shown as 'Curated by …'.")
@click.option("--admin", is_flag=True, help="Give the admin role.")
@with_appcontext
def create_editor(email: str, password_stdin: bool, name: str, admin: bool) -> None:
    """Add an editor."""
    from .accounts.service import create_editor as create

    if not password_stdin:
        click.echo("Error: pass --password-stdin and the password on standard input.", err=True)
        sys.exit(2)
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with runtime().session() as session:
            editor = create(session, email, password, name=name,
                            role="admin" if admin else "editor")
    except NewsletterError as exc:
        _fail(exc)
    click.echo(f"Editor {editor.email} created.")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="cli", help="A label for the token.")
@with_appcontext
def create_token(email: str, name: str) -> None:
    """Print a new API token for that editor."""
    from .accounts.service import create_token as create
    from .accounts.service import get_editor_by_email

    try:
        with runtime().session() as session:
            token = create(session, get_editor_by_email(session, email), name)
    except NewsletterError as exc:
        _fail(exc)
    click.echo(token)


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load demo topics, feed-free articles and the example update."""
    from .demo import load_demo

    with runtime().session() as session:
        created = load_demo(session)
    click.echo(f"Demo data loaded: {created} topics added.")


@click.command("run")
@click.option("--port", type=int, default=None, help="Port to serve on (default $PORT or 8000).")
@with_appcontext
def run(port: int | None) -> None:
    """Web, worker and scheduler in one terminal, on the embedded defaults unless configured."""
    from .accounts.service import create_editor as create
    from .migrate import upgrade
    from .models import Editor

    rt = runtime()
    settings = rt.settings
    port = port or settings.port
    upgrade(settings.database_url)
    env = dict(os.environ, REDIS_URL=rt.redis_url, PORT=str(port),
               NEWSLETTER_INSTANCE=str(settings.instance))
    env.setdefault("BASE_URL", settings.base_url)
    env.setdefault("DATABASE_URL", settings.database_url)
    password_file = settings.instance / "admin-password.txt"
    with rt.session() as session:
        if session.query(Editor.id).first() is None:
            password = secrets.token_urlsafe(12)
            create(session, "admin@localhost.localdomain", password, name="Admin", role="admin")
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
    bin_dir = Path(sys.executable).parent
    procs = [
        subprocess.Popen([str(bin_dir / "gunicorn"), "--workers", "2", "--threads", "4",
                          "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
                          "newsletter:create_app()"], env=env),
        subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=env),
    ]
    time.sleep(2)  # let gunicorn and the worker print their start-up lines first
    base = env["BASE_URL"]
    click.echo(f"\n  The Briefing is running at {base}/subscribe")
    click.echo(f"  Editors log in at {base}/admin/login")
    if password_file.exists():
        click.echo(f"  as admin@localhost.localdomain, password in {password_file}")
    click.echo("  Mail goes to " + (settings.smtp_url or f"{settings.outbox}/*.eml") + "\n")

    def stop(*_: object) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for proc in procs:
            proc.wait(timeout=20)


COMMANDS = [init_db, create_editor, create_token, demo, run, poll_feeds, bounces]


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from . import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=False,
                  help="Manage the newsletter service.")
for _command in COMMANDS:
    main.add_command(_command)
