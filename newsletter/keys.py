"""Every Redis key the service writes, in one place (as rq keeps its own in keys.py).

Keys share the `nl:` prefix so that the service's state is easy to find, and to tell from
RQ's own `rq:` keys, in one Redis database.
"""

from __future__ import annotations

PREFIX = "nl"
SMTP_RATE = f"{PREFIX}:smtp-rate"  # + ":<window>": sends granted in that window, all workers


def edition_queued(edition_id: int) -> str:
    """How many batch jobs of an edition wait in the queue (the tick tops up when none)."""
    return f"{PREFIX}:edition:{edition_id}:queued"


def edition_outcomes(edition_id: int) -> str:
    """The edition's recent outcomes (failure window that pauses a failing edition)."""
    return f"{PREFIX}:edition:{edition_id}:outcomes"


def edition_form(nonce: str) -> str:
    """A submitted edition form, so a double submit creates one edition."""
    return f"{PREFIX}:edition-form:{nonce}"


def edition_form_done(nonce: str) -> str:
    """The edition a submitted form created, so a repeated submit shows that one."""
    return f"{PREFIX}:edition-form:{nonce}:done"


def feed_lock(feed_id: int) -> str:
    """Held from enqueue to the end of a poll: a feed is never polled twice at once."""
    return f"{PREFIX}:feed:{feed_id}:lock"


FEEDS_DUE = f"{PREFIX}:feeds:due"  # "feed_id:lock_token" entries the poll jobs take from


def feed_progress(feed_id: int) -> str:
    """queued, running or done, with the result, for the admin page's progress."""
    return f"{PREFIX}:feed:{feed_id}:progress"


BOUNCE_MAILBOX_POLL = f"{PREFIX}:bounces:mailbox-poll"  # one BOUNCE_MAILBOX poll at a time
WEBHOOK_DISPATCH = f"{PREFIX}:webhooks:dispatch"  # one webhook dispatch job at a time
# one ledger archive job at a time: "queued TOKEN", then "running TOKEN PROCESS-NAME"
DELIVERY_ARCHIVE = f"{PREFIX}:delivery:archive"


def signup_stream(queue_name: str) -> str:
    """Sign-up requests waiting to be recorded: a stream read through one consumer group."""
    return f"{PREFIX}:{queue_name}:signups"


def job_waiting(queue_name: str, job_name: str) -> str:
    """Set while a job of that name waits in the queue: another is queued only when none does."""
    return f"{PREFIX}:{queue_name}:queued:{job_name}"


def signups_recorded_at(queue_name: str) -> str:
    """When the last sign-up recording job ended (a float timestamp, briefly kept): a job
    starting soon after it is in a burst and gathers a batch first."""
    return f"{PREFIX}:{queue_name}:signups-recorded-at"


def welcome_due(queue_name: str) -> str:
    """Readers who just confirmed and wait for their welcome briefing: a sorted set of
    subscriber ids (score: when they confirmed), gathered into one welcome edition a job."""
    return f"{PREFIX}:{queue_name}:welcome-due"


def alive(name: str) -> str:
    """A process's heartbeat: what it claimed stays its own while this key lives."""
    return f"{PREFIX}:alive:{name}"


def rate_limit(bucket: str, amount: int, seconds: int) -> str:
    """One moving window of a public form's limit: the times of the requests it counted."""
    return f"{PREFIX}:limit:{bucket}:{amount}/{seconds}"


def reader_request(request_id: str) -> str:
    """A reader's request (sign-up, new link) waiting for its job: the address lives here,
    briefly, never in the job's arguments."""
    return f"{PREFIX}:reader-request:{request_id}"
CLICK_EVENTS = f"{PREFIX}:click-events"  # stream: clicks waiting for the tick to store them
OPEN_EVENTS = f"{PREFIX}:open-events"  # stream: open-pixel fetches waiting for the tick
# plain lists that held them before the streams; the drain moves what is left into them
CLICKS = f"{PREFIX}:clicks"
OPENS = f"{PREFIX}:opens"
