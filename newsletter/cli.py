"""The `newsletter` command (also `flask --app newsletter …`): thin wrappers over services."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from .bounces.commands import bounces
from .errors import NewsletterError
from .instance import write_new
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


@click.command("demo", short_help="Load demo topics, articles and updates.")
@with_appcontext
def demo() -> None:
    """Load five demo topics, each with a complete published update and inbox articles.

    Safe to run twice: topics that exist are left as they are.
    """
    from .demo import load_demo

    settings = runtime().settings
    with runtime().session() as session:
        report = load_demo(session, settings.base_url)
    base = settings.base_url
    if not report.loaded:
        click.echo("Demo content is already loaded; nothing changed.")
    else:
        click.echo(f"Loaded {len(report.topics)} demo topics ({', '.join(report.topics)}), "
                   f"{report.updates} published updates and {report.articles} inbox articles.")
    click.echo("Next:")
    click.echo(f"  {base}/admin/editions/new   put the updates in an edition and send it")
    where = "" if settings.smtp_url else f" (mail lands in {_short(settings.outbox)}/)"
    click.echo(f"  {base}/subscribe            sign up as a reader{where}")


@click.command("run", short_help="Start web, worker and scheduler in one terminal.")
@click.option("--port", type=int, default=None, help="Port to serve on (default $PORT or 8000).")
@click.option("--access-log", is_flag=True,
              help="Print the web access log here too (else it goes to instance/access.log).")
@with_appcontext
def run(port: int | None, access_log: bool) -> None:
    """Web, worker and scheduler in one terminal, on the embedded defaults unless configured.

    Everything it writes stays under instance/: the database, the embedded Redis, the outbox,
    gunicorn's control socket and the access log.
    """
    from .accounts.service import create_editor as create
    from .accounts.service import has_editors
    from .migrate import upgrade

    # Whatever gunicorn, the worker and the embedded Redis write under instance/ (logs,
    # sockets, dumps) is created readable by this user only.
    os.umask(0o077)
    rt = runtime()
    settings = rt.settings
    port = port or settings.port
    upgrade(settings.database_url)
    env = dict(os.environ, REDIS_URL=rt.redis_url, PORT=str(port),
               NEWSLETTER_INSTANCE=str(settings.instance))
    # `--port` without BASE_URL: the links in mail and the banner name the port served, not
    # the default's (the settings built BASE_URL from $PORT, which `--port` overrides).
    default_base = settings.base_url if port == settings.port else f"http://127.0.0.1:{port}"
    env.setdefault("BASE_URL", default_base)
    env.setdefault("DATABASE_URL", settings.database_url)
    password_file = settings.instance / "admin-password.txt"
    with rt.session() as session:
        if not has_editors(session):
            password = secrets.token_urlsafe(12)
            create(session, "admin@localhost.localdomain", password, name="Admin", role="admin")
            write_new(password_file, (password + "\n").encode())
    bin_dir = Path(sys.executable).parent
    access = "-" if access_log else str(settings.instance / "access.log")
    procs: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    # Before the first child starts: a SIGTERM that came during start-up used to end this
    # process with the default action and leave gunicorn and the worker running, orphaned.
    signal.signal(signal.SIGTERM, stop)
    # Ctrl-C (SIGINT) too, from the first child on: before, one during the start-up pause
    # ended this process and left gunicorn and the worker running.
    try:
        procs.append(subprocess.Popen(
            [str(bin_dir / "gunicorn"), "--config", "python:newsletter.web.serving",
             "--bind", f"127.0.0.1:{port}", "--access-logfile", access,
             "newsletter:create_app()"],
            env={**env, "NEWSLETTER_CONTROL_SOCKET": str(settings.instance / "gunicorn.ctl")}))
        procs.append(subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=env))
        time.sleep(2)  # let gunicorn and the worker print their start-up lines first
        # `demo` in a second terminal must build its links for the same address as this server
        prefix = "" if "BASE_URL" in os.environ or port == 8000 else f"PORT={port} "
        click.echo(banner(env["BASE_URL"], password_file, prefix + _short(bin_dir / "newsletter"),
                          settings.smtp_url or f"{_short(settings.outbox)}/*.eml",
                          None if access_log else _short(Path(access))))
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for proc in procs:
            proc.wait(timeout=20)


def _short(path: Path) -> str:
    """A path as the operator would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def banner(base: str, password_file: Path, newsletter: str, mail: str,
           access_log: str | None) -> str:
    """What `newsletter run` prints once started: where to go and what to type next."""
    lines = [
        "",
        f"  The Briefing is running at {base}/subscribe",
        f"  Editors log in at {base}/admin/login",
    ]
    if password_file.exists():
        lines += [
            "    email     admin@localhost.localdomain",
            f"    password  shown by: cat {_short(password_file)}",
        ]
    lines += [
        f"  Demo topics and updates: in a second terminal, run {newsletter} demo",
        f"  Mail goes to {mail}",
    ]
    if access_log:
        lines.append(f"  Web access log: {access_log} (--access-log prints it here)")
    lines += ["  Stop with Ctrl+C.", ""]
    return "\n".join(lines)


@click.command("poll-feeds")
@click.option("--all", "every", is_flag=True, help="Poll every enabled feed, due or not.")
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True)
@with_appcontext
def poll_feeds(every: bool, concurrency: int) -> None:
    """Poll every due feed now and print a summary."""
    from .feeds.scheduler import poll_now

    statuses: Counter[str] = Counter()
    new = updated = polled = 0
    for feed_id, result in poll_now(runtime(), every=every, concurrency=concurrency):
        polled += 1
        if result is None:
            statuses["busy"] += 1
            click.echo(f"feed {feed_id}: busy (already being polled)")
            continue
        statuses[str(result.status)] += 1
        new += result.new
        updated += result.updated
        line = f"feed {feed_id}: {result.status}, {result.new} new, {result.updated} updated"
        click.echo(line + (f" ({result.error})" if result.error else ""))
    counts = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) or "none due"
    click.echo(f"Polled {polled} feeds: {counts}; {new} new and {updated} updated articles.")


COMMANDS = [init_db, create_editor, create_token, demo, run, poll_feeds, bounces]


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from . import create_app

    return create_app()


class NewsletterGroup(FlaskGroup):
    """Flask's command group without what belongs to the `flask` command itself.

    Extensions register commands through the `flask.commands` entry point (Flask-Limiter's
    `limiter`): they stay reachable as `flask --app newsletter …`, but `newsletter --help`
    lists the project's commands only.
    """

    def _load_plugin_commands(self) -> None:
        self._loaded_plugin_commands = True


main = NewsletterGroup(create_app=_create_app, add_default_commands=False, add_version_option=False,
                  load_dotenv=False, help="Run and manage The Briefing newsletter service.")
# Flask's --env-file/--app/--debug options belong to the `flask` command, not to ours.
main.params = [p for p in main.params if p.name not in {"env_file", "app", "debug"}]
for _command in COMMANDS:
    main.add_command(_command)
