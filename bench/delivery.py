"""Delivery benchmark: naive pipeline vs the engine vs real workers vs the SMTP ceiling.

    .venv/bin/python bench/delivery.py                 # 20,000 subscribers, 5 topics, all parts
    .venv/bin/python bench/delivery.py --workers-path  # only (d) and (c): production's path
    .venv/bin/python bench/delivery.py --fanout-only   # 1,000,000 subscribers fanned out
    .venv/bin/python bench/delivery.py --digest        # 100,000 daily readers: busiest hour

Runs against the machine's PostgreSQL (a throwaway database, created and dropped) and Redis
(a free db number), with a minimal asyncio SMTP sink in its own process that accepts quickly
and notes when it accepted each reader's copy.
(a) naive: per subscriber MJML + premailer + EmailMessage + smtplib, on a sample, as msg/s;
(b) engine: render once + fan-out in one child process, then --workers child processes
    (default 2, one per core) call send_batch directly (what the RQ job does, without RQ)
    until the edition is sent: DB claim → assemble → SMTP → bulk status update, end to end;
(d) workers: a second edition created with POST /api/v1/editions and sent by --workers real
    `python worker.py` processes (Procfile) on production defaults, timed from the API call
    until GET /api/v1/editions/<id> says sent; p50/p99 from a row's claim (ledger claimed_at)
    to the sink accepting that copy; worker RSS; delivery table bytes per million rows;
(c) smtp_limit: pre-built bytes over --workers connections (as many as the engine holds),
    one process each, with the production transport's `submit` (copies back to back when
    the server offers PIPELINING, as the engine sends) and, for comparison, its `send` (one
    message at a time, as the engine sent before) (bench/support/ceiling.py).
Ends with one JSON line; `ratio` is workers (else engine) msg/s over smtp_limit msg/s (the
submit ceiling); (d) also prints the CPU per copy of the workers, the sink and PostgreSQL's
backends, and the rate that CPU would allow on 2 cores. `host_us` is the host's speed before
and after the run (bench/support/host.py).

    .venv/bin/python bench/delivery.py --crash          # duplicates per SIGKILL of a worker

(e) crash: the (d) set-up, but --kills times in the edition (at even shares of it, while both
    workers hold a claimed batch) every process of every worker tree gets SIGKILL (the work
    horse too) and as many new workers take over (DELIVERY_STALE_SECONDS=5 and a 1 s tick,
    so dead claims come back soon); then every reader's copies at the sink are counted:
    duplicates per killed worker, and readers who got nothing (must be 0).

--digest: 100,000 readers on the daily cadence at 07:00 local, round-robin over every zone
    tzdata knows; the tick's digest build (due readers, render, INSERT … SELECT) at each
    briefing moment of the UTC hour with the most readers, then --workers children drain
    them as in (b): `digest_msg_s`. The same readers then switch to the edition cadence and
    get one edition of the same updates, the same way: `engine_msg_s`, from the same run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import smtplib
import subprocess
import sys
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOPICS = ["World", "Climate", "Tech", "Business", "Science"]
SECRET = "bench-secret-key"
MAIL_FROM = "The Briefing <briefing@news.example.test>"
BASE_URL = "https://news.example.test"


from bench.support.host import python_us  # noqa: E402
from bench.support.procs import run_together  # noqa: E402 - after the sys.path line
from bench.support.sink import Sink  # noqa: E402

# ---------------------------------------------------------------- data

def copy_choices(cur: Any, reader_ids: range, topic_ids: list[int], rng: random.Random) -> None:
    """COPY each reader's topics: each topic with probability 0.4, at least one."""
    with cur.copy("COPY subscription (subscriber_id, topic_id, created_at) FROM STDIN") as copy:
        buf = io.StringIO()
        for i in reader_ids:
            chosen = [t for t in topic_ids if rng.random() < 0.4] or [rng.choice(topic_ids)]
            for t in chosen:
                buf.write(f"{i}\t{t}\tnow\n")
        copy.write(buf.getvalue())


def settings_for(database_url: str, redis_url: str, smtp_url: str, instance: Path, **extra: object):
    from newsletter.config import Settings

    return Settings.from_env(
        instance=instance, database_url=database_url, redis_url=redis_url, smtp_url=smtp_url,
        base_url=BASE_URL, secret_key=SECRET, mail_from=MAIL_FROM, smtp_rate=None, **extra,
    )


def seed(database_url: str, subscribers: int, rng: random.Random) -> list[int]:
    """Topics and realistic updates through the domain code; subscribers bulk-loaded with COPY."""
    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from newsletter.editorial.topics import create_topic
    from tests.mail.realistic import make_realistic_update

    engine = create_engine(database_url)
    with Session(engine) as session:
        topics = [create_topic(session, name.lower(), name, f"All about {name}.") for name in TOPICS]
        update_ids = [make_realistic_update(session, t).id for t in topics]
        topic_ids = [t.id for t in topics]
        session.commit()
    engine.dispose()

    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        chunk = 100_000
        for start in range(1, subscribers + 1, chunk):
            stop = min(start + chunk, subscribers + 1)
            with cur.copy("COPY subscriber (id, email, email_key, status, created_at, updated_at,"
                          " confirmed_at) FROM STDIN") as copy:
                buf = io.StringIO()
                for i in range(start, stop):
                    addr = f"reader{i}@example.com"
                    buf.write(f"{i}\t{addr}\t{addr}\tactive\tnow\tnow\tnow\n")
                copy.write(buf.getvalue())
            copy_choices(cur, range(start, stop), topic_ids, rng)
        cur.execute("SELECT setval(pg_get_serial_sequence('subscriber', 'id'), %s)", (subscribers,))
        cur.execute("ANALYZE subscriber; ANALYZE subscription")
        conn.commit()
    return update_ids


def create_edition_now(database_url: str, update_ids: list[int]) -> int:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from newsletter.editorial.editions import create_edition
    from newsletter.models import utcnow

    engine = create_engine(database_url)
    with Session(engine) as session:
        edition = create_edition(session, "Your morning briefing", update_ids, utcnow())
        session.commit()
        edition_id = edition.id
    engine.dispose()
    return edition_id


def seed_digest(database_url: str, readers: int, rng: random.Random) -> dict[str, object]:
    """`readers` daily readers at 07:00 in their own zone, round-robin over every zone this
    machine knows; told up to a day ago, with one or two realistic updates per topic since.
    Returns the latest update per topic and the briefing moments of the UTC hour that holds
    the most readers (what the tick builds digests at, within that hour)."""
    from collections import Counter
    from datetime import timedelta

    import psycopg
    from sqlalchemy import create_engine, update
    from sqlalchemy.orm import Session

    from newsletter.editorial.topics import create_topic
    from newsletter.models import TopicUpdate, utcnow
    from newsletter.subscribers.reader_time import known_zones, next_briefing_at, zone_of
    from tests.mail.realistic import make_realistic_update

    now = utcnow()
    engine = create_engine(database_url)
    with Session(engine) as session:
        topics = [create_topic(session, name.lower(), name, f"All about {name}.") for name in TOPICS]
        earlier = [make_realistic_update(session, t).id for t in topics[:2]]  # "1 earlier update"
        latest = [make_realistic_update(session, t).id for t in topics]
        session.flush()
        session.execute(update(TopicUpdate).where(TopicUpdate.id.in_(earlier))
                        .values(published_at=now - timedelta(hours=2)))
        session.execute(update(TopicUpdate).where(TopicUpdate.id.in_(latest))
                        .values(published_at=now - timedelta(hours=1)))
        topic_ids = [t.id for t in topics]
        session.commit()
    engine.dispose()

    zones = sorted(known_zones())
    slot = {z: next_briefing_at("daily", 7, None, zone_of(z, "UTC"), now) for z in zones}
    per_hour = Counter(slot[zones[i % len(zones)]].replace(minute=0) for i in range(1, readers + 1))
    hour, in_hour = per_hour.most_common(1)[0]
    moments = sorted({m for m in slot.values() if m.replace(minute=0) == hour})
    # readers whose moment comes before that hour had theirs already (the tick moved them on)
    due = {z: next_briefing_at("daily", 7, None, zone_of(z, "UTC"), m) if m < hour else m
           for z, m in slot.items()}
    told = (now - timedelta(days=1)).isoformat()
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy("COPY subscriber (id, email, email_key, status, created_at, updated_at,"
                      " confirmed_at, cadence, timezone, briefing_hour, last_briefing_at,"
                      " next_briefing_at) FROM STDIN") as copy:
            buf = io.StringIO()
            for i in range(1, readers + 1):
                addr = f"reader{i}@example.com"
                zone = zones[i % len(zones)]
                buf.write(f"{i}\t{addr}\t{addr}\tactive\tnow\tnow\tnow\tdaily\t{zone}\t7\t"
                          f"{told}\t{due[zone].isoformat()}\n")
            copy.write(buf.getvalue())
        copy_choices(cur, range(1, readers + 1), topic_ids, rng)
        cur.execute("SELECT setval(pg_get_serial_sequence('subscriber', 'id'), %s)", (readers,))
        cur.execute("ANALYZE subscriber; ANALYZE subscription; ANALYZE topic; ANALYZE topic_update")
        conn.commit()
    return {"update_ids": latest, "hour": hour.isoformat(), "readers_in_hour": in_hour,
            "moments": [m.isoformat() for m in moments], "zones": len(zones)}


def readers_to_editions(database_url: str, edition_ids: list[int]) -> None:
    """The digests' readers switch to the edition cadence (the rest stay daily), so the
    edition sent next reaches exactly the same people: the figure to compare with."""
    import psycopg

    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE subscriber SET cadence = 'edition' WHERE id IN (SELECT subscriber_id"
                     " FROM delivery WHERE edition_id = ANY(%s))", (edition_ids,))
        conn.commit()


def digest_figures(args: argparse.Namespace, database_url: str, redis_url: str, sink: Sink,
                   instance: Path, rng: random.Random) -> dict[str, object]:
    """--digest: the busiest hour of 100,000 daily readers, then an edition to the same readers."""
    readers = args.subscribers or 100_000
    t0 = time.perf_counter()
    seeded = seed_digest(database_url, readers, rng)
    print(f"seeded {readers:,} daily readers over {seeded['zones']} zones in "
          f"{time.perf_counter() - t0:.1f} s; busiest UTC hour {seeded['hour']}: "
          f"{seeded['readers_in_hour']:,} readers, briefing moments {seeded['moments']}", flush=True)
    before = sink.count()
    digest = run_engine(args, database_url, redis_url, sink.url, instance, None, args.workers,
                        digest_at=list(seeded["moments"]))  # type: ignore[arg-type]
    received = sink.count() - before
    digest_rate = digest["sent"] / digest["seconds"]
    print(f"(digest) {digest['sent']:,} of {digest['total']:,} briefings sent, sink got "
          f"{received:,}, in {digest['seconds']:.2f} s = {digest_rate:,.0f} msg/s end to end "
          f"(find due readers + render + fan-out {digest['start_s']:.2f} s in "
          f"{len(digest['edition_ids'])} digest edition(s), sending {digest['send_s']:.2f} s); "
          f"{args.workers} worker process(es)", flush=True)
    readers_to_editions(database_url, list(digest["edition_ids"]))
    edition_id = create_edition_now(database_url, list(seeded["update_ids"]))  # type: ignore[arg-type]
    before = sink.count()
    edition = run_engine(args, database_url, redis_url, sink.url, instance, edition_id,
                         args.workers)
    edition_rate = edition["sent"] / edition["seconds"]
    print(f"(edition) {edition['sent']:,} of {edition['total']:,} copies to the same readers, "
          f"sink got {sink.count() - before:,}, in {edition['seconds']:.2f} s = "
          f"{edition_rate:,.0f} msg/s end to end (render + fan-out {edition['start_s']:.2f} s, "
          f"sending {edition['send_s']:.2f} s)", flush=True)
    return {"readers": readers, "readers_in_hour": seeded["readers_in_hour"],
            "digest_editions": len(digest["edition_ids"]), "digest_sent": digest["sent"],
            "digest_build_s": round(digest["start_s"], 2),
            "digest_msg_s": round(digest_rate, 1), "edition_sent": edition["sent"],
            "engine_msg_s": round(edition_rate, 1),
            "digest_vs_edition": round(digest_rate / edition_rate, 2),
            "workers": args.workers,
            "peak_rss_mb": max(digest["peak_rss_mb"], edition["peak_rss_mb"]),
            "load_1m": round(os.getloadavg()[0], 1)}  # shared machine: the figures move with it


# ---------------------------------------------------------------- (a) naive

def naive(sink: Sink, sample: int, rng: random.Random) -> float:
    """Everything per subscriber: MJML, premailer, an EmailMessage tree, smtplib."""
    from email.utils import formatdate, make_msgid

    from newsletter.mail.edition import read_copy, render_items
    from newsletter.subscribers.links import Links
    from newsletter.subscribers.tokens import Tokens
    from tests.mail.realistic import item_context

    items = [item_context(name) for name in TOPICS]
    links = Links(Tokens(SECRET), BASE_URL)
    smtp_policy = policy.SMTP.clone(max_line_length=998)
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as conn:
        for n in range(sample):
            sid = n + 1
            chosen = [it for it in items if rng.random() < 0.4] or [rng.choice(items)]
            rendered = render_items("Your morning briefing", chosen, list_name="The Briefing",
                                    base_url=BASE_URL)
            text, html = read_copy(rendered, (1 << len(chosen)) - 1, links.preferences(sid),
                                   links.unsubscribe(sid))
            msg = EmailMessage(policy=smtp_policy)
            msg["From"] = MAIL_FROM
            msg["To"] = f"reader{sid}@example.com"
            msg["Subject"] = "Your morning briefing"
            msg["Date"] = formatdate(usegmt=True)
            msg["Message-ID"] = make_msgid(domain="news.example.test")
            msg["List-Unsubscribe"] = f"<{links.unsubscribe(sid)}>"
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            msg.set_content(text)
            msg.add_alternative(html, subtype="html")
            conn.sendmail("briefing@news.example.test", [msg["To"]], msg.as_bytes())
    return sample / (time.perf_counter() - started)


# ---------------------------------------------------------------- (b) engine (child process)

def engine_child(args: argparse.Namespace) -> None:
    """--start: render once + fan-out. Otherwise: after a "go" line on stdin, drain the edition
    with direct send_batch calls (what send_batch_job does, minus RQ) until nothing is left."""
    from newsletter.delivery import lifecycle
    from newsletter.delivery.sender import send_batch
    from newsletter.delivery.settings import SendSettings
    from newsletter.mail.copies import Identity
    from newsletter.runtime import Runtime
    from newsletter.subscribers.links import Links

    settings = settings_for(args.database_url, args.redis_url, args.smtp_url, Path(args.instance),
                            batch_size=args.batch_size)
    runtime = Runtime(settings)
    send_settings = SendSettings.from_settings(settings)
    ident, link = Identity.from_settings(settings), Links.from_settings(settings)
    total = sent = 0
    edition_ids = [int(i) for i in str(args.edition_id).split(",") if i]
    if args.start and args.digest_at:
        # what the tick does at each briefing moment of the hour: build and fan out the digest
        from datetime import datetime

        from newsletter.delivery import briefings

        # untracked links, as lifecycle.start is called below: the two figures compare
        rendering = briefings.Rendering(settings.list_name, settings.base_url)
        started = time.perf_counter()
        edition_ids = []
        for moment in args.digest_at.split(","):
            with runtime.session() as session:
                built = briefings.build_digests(session, datetime.fromisoformat(moment),
                                                rendering, "UTC")
            total += sum(b.total for b in built)
            edition_ids += [b.edition_id for b in built]
    elif args.start:
        started = time.perf_counter()
        with runtime.session() as session:
            total = lifecycle.start(session, edition_ids[0], list_name=settings.list_name,
                                   base_url=settings.base_url)
    else:
        print("ready", flush=True)
        sys.stdin.readline()
        started = time.perf_counter()
        for edition_id in edition_ids:  # a digest hour may hold a few briefing editions
            while True:
                result = send_batch(runtime.Session, runtime.redis, edition_id,
                                    runtime.postman(), ident, link, send_settings,
                                    editions=runtime.prepared_editions)
                sent += result.sent
                if not result.claimed:
                    break
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"total": total, "sent": sent, "seconds": seconds, "edition_ids": edition_ids,
                      "cpu_s": usage.ru_utime + usage.ru_stime,
                      "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}), flush=True)


def run_engine(args: argparse.Namespace, database_url: str, redis_url: str, smtp_url: str,
               instance: Path, edition_id: int | None, workers: int, fanout_only: bool = False,
               digest_at: list[str] | None = None) -> dict[str, float]:
    """Start the edition in one child (or, with `digest_at`, build the digests due at those
    moments), then time `workers` children draining it together."""
    base = [sys.executable, __file__, "--engine-child", "--database-url", database_url,
            "--redis-url", redis_url, "--smtp-url", smtp_url, "--instance", str(instance),
            "--batch-size", str(args.batch_size)]
    starter = [*base, "--start", "--edition-id", str(edition_id or "")]
    if digest_at:
        starter += ["--digest-at", ",".join(digest_at)]
    first = subprocess.run(starter, capture_output=True, text=True, check=False)
    if first.returncode:
        raise SystemExit(first.stderr)
    start = json.loads(first.stdout.strip().splitlines()[-1])
    if fanout_only:
        return {**start, "start_s": start["seconds"]}
    ids = ",".join(str(i) for i in start["edition_ids"])
    procs = [subprocess.Popen([*base, "--edition-id", ids], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
             for _ in range(workers)]
    outs, send_s = run_together(procs)
    return {"total": start["total"], "sent": sum(o["sent"] for o in outs),
            "edition_ids": start["edition_ids"],
            "start_s": start["seconds"], "send_s": send_s, "seconds": start["seconds"] + send_s,
            "worker_cpu_s": sum(o["cpu_s"] for o in outs),
            "peak_rss_mb": max([start["peak_rss_mb"], *(o["peak_rss_mb"] for o in outs)])}


# ---------------------------------------------------------------- (c) SMTP ceiling

def sample_message(database_url: str, edition_id: int) -> bytes:
    """One real engine message (a 3-topic copy), to time the SMTP ceiling with realistic bytes."""
    from email.utils import formatdate

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from newsletter.mail.copies import Identity, PreparedEdition
    from newsletter.models import Edition
    from newsletter.subscribers.links import Links
    from newsletter.subscribers.tokens import Tokens

    engine = create_engine(database_url)
    with Session(engine) as session:
        edition = session.get(Edition, edition_id)
        assert edition is not None
        prepared = PreparedEdition.of(edition, Identity(
            MAIL_FROM, "The Briefing", "The Briefing <briefing.news.example.test>", BASE_URL))
    engine.dispose()
    return prepared.message(Links(Tokens(SECRET), BASE_URL), 1, "reader1@example.com", 0b10101,
                            formatdate(usegmt=True))


# ---------------------------------------------------------------- (d) through the workers

def workers_path(database_url: str, redis_url: str, sink: Sink, instance: Path,
                 update_ids: list[int], count: int, figures: dict[str, object],
                 flush_every: int | None = None) -> tuple[float, int]:
    """A new edition via the API, sent by `count` real `python worker.py` processes."""
    from bench.support.workers import (
        Workers,
        api_token,
        claim_to_accept_ms,
        delivery_table_size,
        send_through_api,
        worker_env,
    )

    env = worker_env(database_url, redis_url, sink.url, instance / "workers", SECRET, BASE_URL,
                     MAIL_FROM)
    if flush_every:  # the crash window's size against its cost (else the default, 20)
        env["DELIVERY_FLUSH_EVERY"] = str(flush_every)
        figures["flush_every"] = flush_every
    token = api_token(database_url)
    workers = Workers(env, count, log_dir=instance / "workers")
    sink.accepted(instance)  # forget earlier parts' copies
    sink_cpu = sink.cpu_seconds()
    try:
        startup = workers.start(redis_url)
        res = send_through_api(env, token, update_ids, workers)
    finally:
        workers.stop()
    rate = res["sent"] / res["seconds"]
    sink_cpu = sink.cpu_seconds() - sink_cpu
    per_msg = {name: round(cpu * 1000 / max(res["sent"], 1), 3) for name, cpu in
               (("workers", res["worker_cpu_s"]), ("sink", sink_cpu),
                ("postgres", res["postgres_cpu_s"]))}
    budget = sum(per_msg.values())
    latency = claim_to_accept_ms(database_url, res["edition_id"], sink.accepted(instance))
    size = delivery_table_size(database_url)
    print(f"(d) workers: {res['sent']:,} of {res['total']:,} sent ({res['failed']:,} failed) in "
          f"{res['seconds']:.2f} s from POST /api/v1/editions to status sent = {rate:,.0f} msg/s; "
          f"{count} `python worker.py` (started in {startup:.1f} s, not counted); claim → sink "
          f"accept p50 {latency.get('p50_ms')} ms, p99 {latency.get('p99_ms')} ms over "
          f"{latency['matched']:,} copies; worker peak RSS {workers.peak_process_mb:.1f} MB per "
          f"process ({workers.peak_tree_mb:.1f} MB worker+horse+cron tree); worker CPU "
          f"{res['worker_cpu_s']:.1f} s, sink {sink_cpu:.1f} s; delivery table {size['delivery_mb']} MB for "
          f"{size['delivery_rows']:,} rows = {size['db_mb_per_million_deliveries']} MB per "
          f"million; worker logs in {instance / 'workers'}", flush=True)
    print(f"(d) CPU per copy: workers {per_msg['workers']} ms, sink {per_msg['sink']} ms, "
          f"PostgreSQL backends {per_msg['postgres']} ms = {budget:.3f} ms; at {rate:,.0f} msg/s "
          f"that is {budget * rate:,.0f} CPU-ms/s of the machine's 2,000; the same CPU per "
          f"copy allows at most {2000 / budget:,.0f} msg/s on 2 cores", flush=True)
    figures.update(workers_seconds=round(res["seconds"], 2), workers_sent=res["sent"],
                   workers_startup_s=round(startup, 1),
                   claim_to_accept_p50_ms=latency.get("p50_ms"),
                   claim_to_accept_p99_ms=latency.get("p99_ms"),
                   workers_peak_rss_mb=round(workers.peak_process_mb, 1),
                   workers_tree_peak_rss_mb=round(workers.peak_tree_mb, 1),
                   workers_cpu_s=round(res["worker_cpu_s"], 1),
                   # CPU per copy does not depend on how much of the shared machine we got
                   workers_cpu_ms_per_msg=round(res["worker_cpu_s"] * 1000 / max(res["sent"], 1), 3),
                   sink_cpu_s=round(sink_cpu, 1),
                   sink_cpu_ms_per_msg=per_msg["sink"],
                   postgres_cpu_s=round(res["postgres_cpu_s"], 1),
                   postgres_cpu_ms_per_msg=per_msg["postgres"],
                   cpu_ms_per_msg=round(budget, 3),
                   cpu_bound_msg_s=round(2000 / budget, 1), **size)
    return rate, int(res["edition_id"])


# ---------------------------------------------------------------- (e) crash window

def crash(database_url: str, redis_url: str, sink: Sink, instance: Path, update_ids: list[int],
          subscribers: int, count: int, kills: int) -> dict[str, object]:
    """Kill every worker tree `kills` times mid-edition; count each reader's copies."""
    from collections import Counter

    import psycopg

    from bench.support.workers import Workers, api_client, api_token, worker_env

    env = worker_env(database_url, redis_url, sink.url, instance / "crash", SECRET, BASE_URL,
                     MAIL_FROM)
    env.update(DELIVERY_STALE_SECONDS="5", NEWSLETTER_TICK_SECONDS="1")
    token = api_token(database_url)
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)

    def in_flight(since: float) -> tuple[int, int]:
        """Rows claimed since `since` (epoch s) and not recorded, and the batches they are in
        (one claim time per batch): a worker killed before `since` holds none of them."""
        with psycopg.connect(dsn) as conn:
            return conn.execute("SELECT count(*), count(DISTINCT claimed_at) FROM delivery"
                                " WHERE status = 'sending' AND claimed_at > to_timestamp(%s)",
                                (since,)).fetchone()

    sink.received(instance)  # forget earlier copies
    base = sink.count()
    workers = Workers(env, count, log_dir=instance / "crash")
    workers.start(redis_url)
    client, auth = api_client(env), {"Authorization": f"Bearer {token}"}
    answer = client.post("/api/v1/editions", headers=auth, json={
        "subject": "Your morning briefing", "update_ids": update_ids, "send_at": None})
    edition_id = answer.get_json()["id"]
    killed_in_flight, killed_pids = [], 0
    began, since = time.perf_counter(), time.time() - 1
    try:
        for k in range(1, kills + 1):
            target = subscribers * k // (kills + 1)
            # every worker in the middle of a batch of its own
            while not (sink.count() - base >= target and in_flight(since)[1] >= count):
                if time.perf_counter() - began > 3600:
                    raise SystemExit("the crash run did not reach its kill point")
                time.sleep(0.02)
            killed_pids += workers.kill()
            killed_in_flight.append(in_flight(since)[0])
            since = time.time()
            print(f"kill {k}: SIGKILL to {count} worker trees at {sink.count() - base:,} copies "
                  f"received, {killed_in_flight[-1]:,} rows claimed and not recorded", flush=True)
            workers = Workers(env, count, log_dir=instance / "crash")
            workers.start(redis_url)
        while client.get(f"/api/v1/editions/{edition_id}", headers=auth
                         ).get_json()["status"] != "sent":
            if time.perf_counter() - began > 3600:
                raise SystemExit("the edition was not sent after the crashes")
            time.sleep(0.1)
    finally:
        workers.stop()
    per_reader = Counter(reader for reader, _ in sink.received(instance))
    duplicates = sum(n - 1 for n in per_reader.values())
    lost = sum(1 for i in range(1, subscribers + 1) if i not in per_reader)
    worker_kills = kills * count
    print(f"(e) crash: {kills} kill(s) of {count} worker trees ({killed_pids} processes, "
          f"SIGKILL); {duplicates} duplicate copies = {duplicates / worker_kills:.1f} per killed "
          f"worker; {lost} readers got nothing; rows in flight at each kill {killed_in_flight}",
          flush=True)
    return {"crash_kills": kills, "crash_worker_kills": worker_kills,
            "crash_duplicates": duplicates,
            "crash_duplicates_per_worker_kill": round(duplicates / worker_kills, 1),
            "crash_max_duplicates_per_reader": max(per_reader.values()) - 1, "crash_lost": lost,
            "crash_in_flight": killed_in_flight}


# ---------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=None)
    parser.add_argument("--naive-sample", type=int, default=200)
    parser.add_argument("--smtp-sample", type=int, default=10_000,
                        help="copies sent for the SMTP ceiling, over --workers connections")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2,
                        help="engine worker processes sharing the edition (default 2 = cores)")
    parser.add_argument("--fanout-only", action="store_true")
    parser.add_argument("--digest", action="store_true",
                        help="digest mode: 100,000 daily readers over all zones, the busiest "
                             "hour's briefings end to end, then an edition to the same readers")
    parser.add_argument("--workers-path", action="store_true",
                        help="only the API + `python worker.py` path and the SMTP ceiling")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--crash", action="store_true",
                        help="only (e): SIGKILL the workers mid-edition, count duplicates")
    parser.add_argument("--kills", type=int, default=3, help="kills in the --crash edition")
    parser.add_argument("--flush-every", type=int, default=None,
                        help="(d): the workers' DELIVERY_FLUSH_EVERY (default: theirs, 20)")
    # internal modes
    parser.add_argument("--engine-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    parser.add_argument("--smtp-url", help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    parser.add_argument("--edition-id", help=argparse.SUPPRESS)  # ids, comma-separated
    parser.add_argument("--digest-at", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_child:
        if os.environ.get("BENCH_PROFILE"):  # cProfile the engine child: BENCH_PROFILE=out.prof
            import cProfile

            cProfile.runctx("engine_child(args)", globals(), {"args": args},
                            os.environ["BENCH_PROFILE"])
        else:
            engine_child(args)
        return

    import tempfile

    from bench.support.ceiling import smtp_ceiling
    from newsletter.migrate import upgrade
    from tests.support.services import PostgresDatabase, RedisDatabase

    subscribers = args.subscribers or (1_000_000 if args.fanout_only else 20_000)
    rng = random.Random(42)
    database, redis_db = PostgresDatabase(), RedisDatabase()
    database_url = database.create()
    redis_url = redis_db.acquire()
    sink = Sink()
    instance = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    host_before = python_us()
    try:
        upgrade(database_url)
        if args.digest:
            print(json.dumps(digest_figures(args, database_url, redis_url, sink, instance, rng)))
            return
        t0 = time.perf_counter()
        update_ids = seed(database_url, subscribers, rng)
        print(f"seeded {subscribers:,} subscribers (COPY) in {time.perf_counter() - t0:.1f} s",
              flush=True)
        # in --workers-path mode no edition exists before the API call (the workers' tick
        # would start it and send it alongside the timed one)
        edition_id = (None if args.workers_path or args.crash
                      else create_edition_now(database_url, update_ids))
        if args.crash:
            figures = crash(database_url, redis_url, sink, instance, update_ids, subscribers,
                            args.workers, args.kills)
            print(json.dumps({"subscribers": subscribers, "workers": args.workers, **figures,
                              "host_us": [host_before, python_us()]}))
            return

        if args.fanout_only:
            res = run_engine(args, database_url, redis_url, sink.url, instance, edition_id, 1,
                             fanout_only=True)
            print(f"fan-out: {res['total']:,} deliveries in {res['start_s']:.1f} s "
                  f"(render once + INSERT … SELECT), worker peak RSS {res['peak_rss_mb']} MB")
            print(json.dumps({"subscribers": subscribers, "deliveries": res["total"],
                              "seconds": round(res["start_s"], 2),
                              "peak_rss_mb": res["peak_rss_mb"]}))
            return

        figures: dict[str, object] = {"subscribers": subscribers, "workers": args.workers}
        naive_rate = engine_rate = None
        if not args.workers_path:
            naive_rate = naive(sink, args.naive_sample, rng)
            print(f"(a) naive pipeline: {naive_rate:,.1f} msg/s (sample of {args.naive_sample}, "
                  "MJML + premailer + EmailMessage + smtplib each)", flush=True)

            before, sink_cpu = sink.count(), sink.cpu_seconds()
            res = run_engine(args, database_url, redis_url, sink.url, instance, edition_id,
                             args.workers)
            received = sink.count() - before
            sink_cpu = sink.cpu_seconds() - sink_cpu
            engine_rate = res["sent"] / res["seconds"]
            send_rate = res["sent"] / res["send_s"] if res["send_s"] else 0.0
            print(f"(b) engine: {res['sent']:,} of {res['total']:,} deliveries sent, sink got "
                  f"{received:,}, in {res['seconds']:.2f} s = {engine_rate:,.0f} msg/s end to end "
                  f"(render + fan-out {res['start_s']:.2f} s; sending alone {send_rate:,.0f} "
                  f"msg/s); {args.workers} worker process(es), direct send_batch calls (no RQ), "
                  f"batch {args.batch_size}; worker peak RSS {res['peak_rss_mb']} MB; CPU: "
                  f"workers {res['worker_cpu_s']:.1f} s, sink {sink_cpu:.1f} s", flush=True)
            figures.update(naive_msg_s=round(naive_rate, 1), engine_msg_s=round(engine_rate, 1),
                           naive_speedup=round(engine_rate / naive_rate, 1),
                           peak_rss_mb=res["peak_rss_mb"])

        workers_rate, workers_edition = workers_path(database_url, redis_url, sink, instance,
                                                     update_ids, args.workers, figures,
                                                     args.flush_every)
        data = sample_message(database_url, edition_id or workers_edition)
        ceilings = {}
        for mode in ("submit", "send"):  # what the engine does; one message at a time
            sink_cpu = sink.cpu_seconds()
            ceiling = smtp_ceiling(sink.url, data, args.smtp_sample, args.workers, instance,
                                   mode)
            sink_cpu = sink.cpu_seconds() - sink_cpu
            ceilings[mode] = ceiling
            print(f"(c) smtp_limit ({mode}): {ceiling['msg_s']:,.0f} msg/s (pre-built "
                  f"{len(data):,} byte message, {ceiling['connections']} connection(s) in as "
                  f"many processes, production SMTPTransport.{mode}, {ceiling['sent']:,} "
                  f"sends); CPU per copy: senders "
                  f"{ceiling['cpu_s'] * 1000 / ceiling['sent']:.3f} ms, sink "
                  f"{sink_cpu * 1000 / ceiling['sent']:.3f} ms", flush=True)
            figures[f"smtp_limit_{mode}_msg_s"] = round(ceiling["msg_s"], 1)
            figures[f"smtp_limit_{mode}_cpu_ms_per_msg"] = round(
                ceiling["cpu_s"] * 1000 / ceiling["sent"], 3)
            figures[f"smtp_limit_{mode}_sink_cpu_ms_per_msg"] = round(
                sink_cpu * 1000 / ceiling["sent"], 3)
        limit_rate = ceilings["submit"]["msg_s"]
        best = workers_rate or engine_rate or 0.0
        figures.update(workers_msg_s=round(workers_rate, 1), smtp_limit_msg_s=round(limit_rate, 1),
                       ratio=round(best / limit_rate, 2),
                       ratio_vs_send_limit=round(best / ceilings["send"]["msg_s"], 2),
                       load_1m=round(os.getloadavg()[0], 1), host_us=[host_before, python_us()])
        if engine_rate:
            figures["engine_ratio"] = round(engine_rate / limit_rate, 2)
        print(f"workers / smtp_limit = {figures['ratio']}")
        print(json.dumps({"naive_msg_s": None, "engine_msg_s": None, "peak_rss_mb": None,
                          **figures}))
    finally:
        sink.stop()
        redis_db.release()
        if not args.keep_db:
            database.drop()


if __name__ == "__main__":
    main()
