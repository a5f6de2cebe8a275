"""All models, importable from one place; each lives in a module named after its noun."""

from .accounts import ApiToken, Editor
from .audience import Delivery, Subscriber, Subscription, Suppression
from .base import Base, UTCDateTime, utcnow
from .editorial import Edition, EditionItem, Topic, TopicUpdate, UpdateSource
from .feeds import Article, Feed, Story
from .outbox import OutgoingMail
from .statuses import (
    DeliveryStatus,
    EditionStatus,
    EditorRole,
    FeedStatus,
    SubscriberStatus,
    UpdateStatus,
)

__all__ = [
    "ApiToken", "Article", "Base", "Delivery", "DeliveryStatus", "Edition", "EditionItem",
    "EditionStatus", "Editor", "EditorRole", "Feed", "FeedStatus", "OutgoingMail", "Story",
    "Subscriber",
    "SubscriberStatus", "Subscription", "Suppression", "Topic", "TopicUpdate", "UTCDateTime",
    "UpdateSource", "UpdateStatus", "utcnow",
]
