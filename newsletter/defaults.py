"""Default values of the settings and job limits, documented in one place (rq's habit).

`config.Settings` and the per-subsystem settings (`delivery.settings`) take their defaults
from here; environment variables override them as described in the README.
"""

from __future__ import annotations

PORT = 8000
LIST_NAME = "The Briefing"
MAIL_FROM = "newsletter@localhost"
QUEUE_NAME = "newsletter"  # RQ_QUEUE
LIST_TIMEZONE = "UTC"  # LIST_TIMEZONE: the zone of readers who did not give theirs

# sending (DELIVERY_BATCH_SIZE, SMTP_RETRY_DELAYS, DELIVERY_STALE_SECONDS, SMTP_TIMEOUT)
DATABASE_POOL_SIZE = 5  # DATABASE_POOL_SIZE: connections a process keeps (gunicorn: its threads)
BATCH_SIZE = 500  # rows one batch job claims
FLUSH_EVERY = 20  # DELIVERY_FLUSH_EVERY: outcomes are written this often: a crash re-sends at most this + 1
FLUSH_SECONDS = 0.1  # ... or once the oldest unwritten outcome would be older than this
RETRY_DELAYS = (60, 300, 1800, 7200)  # seconds before each retry of a 4xx; then it failed
ARCHIVE_AFTER_DAYS = 30  # DELIVERY_ARCHIVE_DAYS: an edition's ledger rows move to the archive
ARCHIVE_CHUNK = 20_000  # DELIVERY_ARCHIVE_CHUNK: copies moved per transaction (~1 s each)
STALE_CLAIM_SECONDS = 300  # a claim not refreshed for this long belonged to a dead worker
FAILURE_PAUSE_RATIO = 0.5  # pause an edition when more than this share of ...
FAILURE_PAUSE_WINDOW = 200  # ... its last this-many outcomes failed
CONSECUTIVE_TRANSIENT_LIMIT = 20  # 4xx in a row before the rest of a batch waits
SMTP_TIMEOUT = 30.0  # seconds, per SMTP operation

# feed fetching (the worker's limits per poll)
FEEDS_CONNECT_TIMEOUT = 10.0  # seconds
FEEDS_READ_TIMEOUT = 20.0  # seconds between bytes
FEEDS_TOTAL_TIMEOUT = 60.0  # a server that trickles bytes cannot hold a worker for longer
FEEDS_MAX_BYTES = 5 * 1024 * 1024
FEEDS_MAX_REDIRECTS = 5
FEEDS_BATCH_SIZE = 25  # due feeds per poll job: one job's start-up and client serve them all
FEEDS_JOB_SECONDS = 15  # ... and more while due feeds wait, for up to this long
FEEDS_CONCURRENCY = 8  # feeds of one job fetched at once (threads): slow servers overlap
FEEDS_PER_HOST = 2  # ... but never more than this many at once from one host

# jobs and the worker process
START_JOB_TIMEOUT = 600  # seconds: render once and write the delivery rows
BATCH_JOB_TIMEOUT = 3600  # seconds: one batch, at the slowest SMTP_RATE
EDITION_STATE_TTL = 7 * 24 * 3600  # an edition's Redis counters outlive its sending
TICK_SECONDS = 15  # NEWSLETTER_TICK_SECONDS: how often the cron tick runs
LOG_LEVEL = "WARNING"  # LOG_LEVEL: RQ's own per-job lines
APP_LOG_LEVEL = "INFO"  # NEWSLETTER_LOG_LEVEL: the project's one line per edition, poll round...
TICK_JOB_TIMEOUT = 600
