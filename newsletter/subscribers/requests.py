"""A reader's request waits in Redis under a random id; the job that handles it gets the id.

RQ stores a job's arguments with the job (finished and failed jobs stay in their registries
for days) and its worker logs every job with its arguments. An address passed as an
argument would end up in both, long after the request was handled. So the address goes
into a short-lived key of its own, the job takes only the key's id, and the key is deleted
once the job has done its work (a retried job still finds it).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from redis import Redis

from .. import keys

TTL_SECONDS = 7 * 24 * 3600  # longer than every retry of the jobs that read it


def stash(redis: Redis, payload: dict[str, Any]) -> str:
    request_id = secrets.token_urlsafe(16)
    redis.set(keys.reader_request(request_id), json.dumps(payload), ex=TTL_SECONDS)
    return request_id


def load(redis: Redis, request_id: str) -> dict[str, Any] | None:
    raw = redis.get(keys.reader_request(request_id))
    return json.loads(raw) if raw else None


def discard(redis: Redis, request_id: str) -> None:
    redis.delete(keys.reader_request(request_id))
