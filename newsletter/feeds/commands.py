"""`newsletter poll-feeds`: poll every due feed now, in this process, and print a summary."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import click
from flask.cli import with_appcontext

from ..models import utcnow
from ..web.db import runtime
from .fetch import make_client
from .jobs import locked_poll
from .scheduler import due_feed_ids
from .settings import FeedSettings


@click.command("poll-feeds")
@click.option("--all", "every", is_flag=True, help="Poll every enabled feed, due or not.")
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True)
@with_appcontext
def poll_feeds(every: bool, concurrency: int) -> None:
    """Poll every due feed now and print a summary."""
    rt = runtime()
    fs = FeedSettings.from_settings(rt.settings)
    with rt.Session() as session:
        ids = due_feed_ids(session, None if every else utcnow())
    statuses: Counter[str] = Counter()
    new = updated = 0
    with make_client(fs) as client, ThreadPoolExecutor(concurrency) as pool:
        for feed_id, result in zip(ids, pool.map(
                lambda i: locked_poll(rt, i, client=client), ids), strict=True):
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
    click.echo(f"Polled {len(ids)} feeds: {counts}; {new} new and {updated} updated articles.")
