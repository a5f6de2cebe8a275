"""Recording survives a crash: a drain killed between reading the clicks from Redis and
committing them loses none, and one killed after its commit but before acknowledging them
does not count them twice. The drains run in a real process that is really killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsletter import keys
from newsletter.engagement.recording import GROUP, drain, drain_opens
from newsletter.models import Click, Delivery, Open, Subscriber, utcnow
from tests.support.engagement import BROWSER, send_edition, tracked_links

ROOT = Path(__file__).resolve().parents[2]
# a drain in its own process that SIGKILLs itself at the chosen step
DRAIN_AND_DIE = """
import os, signal, sys
from redis import Redis
from sqlalchemy.orm import Session
from newsletter import streams
from newsletter.engagement import recording
from newsletter.runtime import make_engine

database_url, redis_url, step, what = sys.argv[1:5]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if step == "before-commit":
    Session.commit = die
else:
    streams.GroupStream.done = die
engine = make_engine(database_url)
with Session(engine) as session:
    (recording.drain if what == "clicks" else recording.drain_opens)(
        session, Redis.from_url(redis_url))
print("not killed")
"""


def _drain_and_die(postgres_url: str, redis_url: str, step: str, what: str = "clicks") -> None:
    result = subprocess.run(
        [sys.executable, "-c", DRAIN_AND_DIE, postgres_url, redis_url, step, what],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert "not killed" not in result.stdout


def _bury(redis, stream_key: str) -> None:
    """The killed drain's heartbeat key would expire within seconds; end it now."""
    holders = [c["name"] for c in redis.xinfo_consumers(stream_key, GROUP) if c["pending"]]
    assert len(holders) == 1
    redis.delete(keys.alive(holders[0].decode() if isinstance(holders[0], bytes) else holders[0]))


def _three_clicks(runtime, db, work, smtp, client) -> None:
    send_edition(runtime, db, work, readers=("ana@example.com", "ben@example.com"))
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    db.commit()
    for address in ("ana@example.com", "ana@example.com", "ben@example.com"):
        response = client.get(tracked_links(smtp, address)[0][0], headers={"User-Agent": BROWSER})
        assert response.status_code == 302


def _clicks(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Click))


def test_a_drain_killed_before_its_commit_loses_no_click(runtime, db, work, smtp, client,
                                                         postgres_url, redis_url):
    _three_clicks(runtime, db, work, smtp, client)
    _drain_and_die(postgres_url, redis_url, "before-commit")
    assert _clicks(db) == 0  # died holding them: nothing committed
    assert runtime.redis.xpending(keys.CLICK_EVENTS, GROUP)["pending"] == 3
    assert drain(db, runtime.redis) == 0  # its owner may still be alive: not taken yet
    _bury(runtime.redis, keys.CLICK_EVENTS)
    assert drain(db, runtime.redis) == 3
    assert _clicks(db) == 3
    assert runtime.redis.xlen(keys.CLICK_EVENTS) == 0
    assert runtime.redis.xpending(keys.CLICK_EVENTS, GROUP)["pending"] == 0


def test_a_drain_killed_after_its_commit_does_not_count_twice(runtime, db, work, smtp, client,
                                                              postgres_url, redis_url):
    _three_clicks(runtime, db, work, smtp, client)
    _drain_and_die(postgres_url, redis_url, "before-ack")
    assert _clicks(db) == 3  # committed, but never acknowledged
    assert runtime.redis.xpending(keys.CLICK_EVENTS, GROUP)["pending"] == 3
    _bury(runtime.redis, keys.CLICK_EVENTS)
    assert drain(db, runtime.redis) == 0  # read again, stored already
    assert _clicks(db) == 3
    assert runtime.redis.xlen(keys.CLICK_EVENTS) == 0
    ana = db.scalar(select(Subscriber.id).where(Subscriber.email == "ana@example.com"))
    assert db.scalar(select(func.count()).select_from(Click)
                     .where(Click.subscriber_id == ana)) == 2


@pytest.mark.parametrize("step", ["before-commit", "before-ack"])
def test_opens_survive_a_killed_drain_and_count_once(runtime, db, work, smtp, client,
                                                     postgres_url, redis_url, step):
    import dataclasses
    import re

    runtime.settings = dataclasses.replace(runtime.settings, open_tracking=True)
    send_edition(runtime, db, work, readers=("ana@example.com",))
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    db.commit()
    html = smtp.inbox("ana@example.com")[0].get_body(("html",)).get_content()
    pixel = re.search(r'src="https://news\.example\.test(/o/[A-Za-z0-9._\-]+)"', html).group(1)
    client.get(pixel, headers={"User-Agent": BROWSER})
    client.get(pixel, headers={"User-Agent": BROWSER})
    _drain_and_die(postgres_url, redis_url, step, "opens")
    _bury(runtime.redis, keys.OPEN_EVENTS)
    drain_opens(db, runtime.redis)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Open)) == 2
    assert runtime.redis.xlen(keys.OPEN_EVENTS) == 0


def test_clicks_left_in_the_list_of_an_older_web_process_are_stored(runtime, db, work, smtp,
                                                                    client):
    send_edition(runtime, db, work, readers=("ana@example.com",))
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    db.commit()
    edition_id, item, _, reader, _ = tracked_links(smtp, "ana@example.com")[0][0][3:].split(".")
    runtime.redis.rpush(keys.CLICKS, json.dumps(
        [int(edition_id), int(item), int(reader), utcnow().timestamp(), "human"]))
    assert drain(db, runtime.redis) == 1
    assert runtime.redis.exists(keys.CLICKS) == 0
    assert _clicks(db) == 1
