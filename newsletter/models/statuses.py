"""Named statuses; stored as plain strings so migrations and SQL stay simple."""

from enum import StrEnum


class SubscriberStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"


class UpdateStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class EditionStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"


class Cadence(StrEnum):
    """How often a reader hears from us (DESIGN.md, Reader time)."""

    EDITION = "edition"  # every edition, when it is sent
    DAILY = "daily"  # one briefing a day at the reader's local hour
    WEEKLY = "weekly"  # one briefing a week, on their weekday at their hour


class EditionKind(StrEnum):
    EDITION = "edition"  # written and scheduled by an editor
    DIGEST = "digest"  # a daily/weekly briefing built by the tick for readers due now
    WELCOME = "welcome"  # the latest update of each chosen topic, right after confirming


class DeliveryMode(StrEnum):
    AT_TIME = "at_time"  # everyone at send_at
    LOCAL = "local"  # each reader at local_time on send_at's date, in their own zone


class LateReaders(StrEnum):
    """Local delivery: readers whose moment has passed when the edition is confirmed."""

    SEND_NOW = "send_now"
    SKIP = "skip"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # local delivery: the reader's moment had passed when the edition was confirmed and the
    # editor chose to skip such readers (counted apart, never sent)
    SKIPPED = "skipped"


class EditorRole(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"


class FeedStatus(StrEnum):
    NEW = "new"
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    ERROR = "error"
    GONE = "gone"


class BounceKind(StrEnum):
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    AUTO_REPLY = "auto-reply"
    DELIVERED = "delivered"
    OTHER = "other"


class WebhookCallStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class ClickKind(StrEnum):
    HUMAN = "human"
    MACHINE = "machine"  # security scanners, link prefetchers, proxies: counted apart
