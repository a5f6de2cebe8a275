"""The RQ jobs (a batch of due feeds, or one feed polled now) and the locked poll that the
jobs, the API and the CLI share."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

import httpx

from .. import keys
from ..errors import NotFound
from ..runtime import Runtime, current
from . import locks
from .fetch import HostSlots, make_client
from .service import PollResult, poll_feed
from .settings import FeedSettings

log = logging.getLogger(__name__)


def locked_poll(runtime: Runtime, feed_id: int, token: str | None = None, *,
                client: httpx.Client | None = None, hosts: HostSlots | None = None,
                settings: FeedSettings | None = None) -> PollResult | None:
    """Poll under the feed's lock; None when someone else holds it (queued or running).

    `token` is the lock taken when the job was enqueued; without one we take our own.
    """
    fs = settings or FeedSettings.from_settings(runtime.settings)
    redis = runtime.redis
    if token is None or not locks.holds(redis, feed_id, token):
        token = locks.acquire(redis, feed_id, fs.lock_seconds + fs.job_timeout)
        if token is None:
            return None
    locks.set_progress(redis, feed_id, "running")
    result: PollResult | None = None
    try:
        with runtime.Session() as session:
            result = poll_feed(session, feed_id, fs, client=client, hosts=hosts)
        return result
    finally:
        locks.release(redis, feed_id, token)
        locks.set_progress(redis, feed_id, "done", result.as_dict() if result else None)


def poll_feed_job(feed_id: int, lock_token: str | None = None) -> dict[str, object]:
    """RQ entry point: takes the feed id (and the enqueue-time lock token), returns the result."""
    runtime = current()
    try:
        result = locked_poll(runtime, feed_id, lock_token)
    except NotFound:
        return {"feed_id": feed_id, "status": "missing"}
    if result is None:
        return {"feed_id": feed_id, "status": "busy"}
    return result.as_dict()


def _outcome(runtime: Runtime, fs: FeedSettings, feed_id: int, token: str | None,
             client: httpx.Client, hosts: HostSlots) -> dict[str, object]:
    """One feed of a batch as a dict; an unexpected error is this feed's, not the batch's."""
    try:
        result = locked_poll(runtime, feed_id, token, client=client, hosts=hosts, settings=fs)
    except NotFound:
        return {"feed_id": feed_id, "status": "missing"}
    except Exception as exc:  # a bug or a lost database: the other feeds still get polled
        log.exception("poll of feed %s failed", feed_id)
        return {"feed_id": feed_id, "status": "error",
                "error": f"Internal error: {type(exc).__name__}."}
    if result is None:
        return {"feed_id": feed_id, "status": "busy"}
    return result.as_dict()


Take = Callable[[int, float], tuple[int, str | None] | None]


def _run(runtime: Runtime, fs: FeedSettings, take: Take) -> list[dict[str, object]]:
    """`concurrency` threads over one HTTP client, each polling the next feed `take` gives
    (called with how many were taken so far and the seconds since the start; None: stop)
    until there is none, at most `per_host` fetches to one host at a time.

    If `take` fails (Redis gone) the error is raised once every thread has stopped; if the
    job itself is stopped (RQ's timeout), no thread takes another feed.
    """
    hosts = HostSlots(fs.per_host)
    results: list[dict[str, object]] = []
    errors: list[Exception] = []
    guard = threading.Lock()
    taken = [0]
    stopped = threading.Event()
    began = time.monotonic()

    def loop(client: httpx.Client) -> None:
        while not stopped.is_set():
            with guard:
                try:
                    item = take(taken[0], time.monotonic() - began)
                except Exception as exc:  # noqa: BLE001 - re-raised by the job's thread
                    errors.append(exc)
                    stopped.set()
                    return
                if item is None:
                    return
                taken[0] += 1
            outcome = _outcome(runtime, fs, item[0], item[1], client, hosts)
            with guard:
                results.append(outcome)

    with make_client(fs) as client:
        threads = [threading.Thread(target=loop, args=(client,), name=f"feed-poll-{n}",
                                    daemon=True) for n in range(max(1, fs.concurrency))]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            stopped.set()
    if errors:
        raise errors[0]
    return results


def poll_batch(runtime: Runtime, feed_ids: Sequence[int],
               tokens: Sequence[str | None] | None = None, *,
               settings: FeedSettings | None = None) -> list[dict[str, object]]:
    """Poll these feeds at once: `concurrency` threads over one HTTP client, at most
    `per_host` fetches to one host at a time. Every feed keeps its own lock, timeouts, size
    cap, redirect checks and transactions, and one feed's failure never stops the others.

    Threads pay off because a poll mostly waits: on the publisher's server, then on the
    database. Results come back in the order of feed_ids.
    """
    fs = settings or FeedSettings.from_settings(runtime.settings)
    items = list(zip(feed_ids, tokens if tokens is not None else [None] * len(feed_ids),
                     strict=True))
    results = _run(runtime, fs, lambda n, _s: items[n] if n < len(items) else None)
    order = {feed_id: k for k, (feed_id, _t) in enumerate(items)}
    return sorted(results, key=lambda r: order[r["feed_id"]])  # type: ignore[index]


def _summary(results: list[dict[str, object]]) -> dict[str, object]:
    counts: dict[str, int] = {}
    for result in results:
        status = str(result["status"])
        counts[status] = counts.get(status, 0) + 1
    return {"feeds": len(results), "statuses": counts, "results": results}


def poll_due_job() -> dict[str, object]:
    """RQ entry point of the tick's poll round: take due feeds from the Redis list the tick
    filled, `batch_size` of them, and more while some remain and the job is younger than
    job_seconds. A thread never idles beside a feed that hangs until its timeout while due
    feeds wait, and the job still ends soon (an edition queued behind it waits little)."""
    runtime = current()
    fs = FeedSettings.from_settings(runtime.settings)

    def take(taken: int, seconds: float) -> tuple[int, str | None] | None:
        if taken >= fs.batch_size and seconds >= fs.job_seconds:
            return None
        raw = runtime.redis.lpop(keys.FEEDS_DUE)
        if raw is None:
            return None
        feed_id, _, token = raw.decode().partition(":")
        return int(feed_id), token or None

    return _summary(_run(runtime, fs, take))
