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


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


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
