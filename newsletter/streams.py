"""A Redis stream read through one consumer group: work that must survive a killed process.

Producers append (XADD). A consumer reads a batch under its own process name (`claims`),
does the work, commits it, and only then acknowledges and deletes the entries: a process
killed between reading and committing leaves its entries pending under its name, and the
next consumer takes them over as soon as that name's heartbeat is gone. The work must
therefore be idempotent per entry id (a process killed after its commit but before its
acknowledgement has its entries read again): callers store the entry id under a unique
constraint.
"""

from __future__ import annotations

from redis import Redis
from redis.exceptions import ResponseError

from . import claims

# moves a plain list's items into a stream in one step (what a list written before the
# stream existed still holds): none lost, none moved twice
_MOVE_LIST = """
local n = 0
while n < tonumber(ARGV[2]) do
  local v = redis.call('LPOP', KEYS[1])
  if not v then break end
  redis.call('XADD', KEYS[2], '*', ARGV[1], v)
  n = n + 1
end
return n
"""


FIELD = b"v"  # every entry carries its value in this one field


def append(redis: Redis, key: str, value: str | bytes) -> None:
    """Add one entry (what the web does: one round trip, no consumer, no heartbeat)."""
    redis.xadd(key, {FIELD: value})


class GroupStream:
    """One stream as seen by one consumer (this process)."""

    def __init__(self, redis: Redis, key: str, group: str) -> None:
        self.redis, self.key, self.group = redis, key, group
        self.me = claims.my_name(redis)

    def ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(self.key, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def adopt_list(self, list_key: str, limit: int = 10_000) -> int:
        """Move the items of an older plain list into the stream (atomically)."""
        return int(self.redis.eval(_MOVE_LIST, 2, list_key, self.key,  # type: ignore[arg-type]
                                   FIELD.decode(), limit))

    def take_over_dead(self) -> int:
        """Entries read by a process that has since died become this process's."""
        taken = 0
        summary = self.redis.xpending(self.key, self.group)
        names = [c["name"].decode() if isinstance(c["name"], bytes) else c["name"]
                 for c in summary.get("consumers") or []]
        others = [n for n in names if n != self.me]
        for name in set(others) - claims.alive(self.redis, others):
            while True:
                pending = self.redis.xpending_range(self.key, self.group, "-", "+", 1000,
                                                    consumername=name)
                if not pending:
                    break
                ids = [p["message_id"] for p in pending]
                self.redis.xclaim(self.key, self.group, self.me, 0, ids, justid=True)
                taken += len(ids)
            self.redis.xgroup_delconsumer(self.key, self.group, name)
        return taken

    def next_batch(self, count: int) -> list[tuple[str, bytes | None]]:
        """(entry id, value) pairs: this process's own unacknowledged entries first (a batch
        whose work failed), then new ones. An entry deleted meanwhile has value None."""
        for start in ("0", ">"):
            reply = self.redis.xreadgroup(self.group, self.me, {self.key: start}, count=count)
            entries = [(i.decode() if isinstance(i, bytes) else i,
                        (fields or {}).get(FIELD))
                       for _, items in reply or [] for i, fields in items]
            if entries:
                return entries
        return []

    def done(self, ids: list[str]) -> None:
        """Acknowledge and delete: call only after the work they called for committed."""
        if not ids:
            return
        pipe = self.redis.pipeline(transaction=True)
        pipe.xack(self.key, self.group, *ids)
        pipe.xdel(self.key, *ids)
        pipe.execute()

    def backlog(self) -> int:
        """Entries not yet done (read or not): done ones are deleted."""
        return int(self.redis.xlen(self.key))
