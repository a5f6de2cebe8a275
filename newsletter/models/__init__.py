"""All models, importable from one place; each lives in a module named after its noun."""

from .accounts import ApiToken, Editor
from .audience import Subscriber, Subscription, Suppression
from .base import Base, UTCDateTime, utcnow
from .bounces import BounceRecord
from .delivery import Delivery
from .editorial import Edition, EditionItem, Topic, TopicUpdate, UpdateSource
from .engagement import Click, Open
from .feeds import Article, Feed, Story
from .outbox import OutgoingMail
from .pictures import Picture
from .statuses import (
    BounceKind,
    ClickKind,
    DeliveryStatus,
    EditionStatus,
    EditorRole,
    FeedStatus,
    SubscriberStatus,
    UpdateStatus,
    WebhookCallStatus,
)
from .webhooks import WebhookCall, WebhookEndpoint

__all__ = [
    "ApiToken", "Article", "Base", "BounceKind", "BounceRecord", "Click", "ClickKind", "Delivery",
    "DeliveryStatus",
    "Edition", "EditionItem", "EditionStatus", "Editor", "EditorRole", "Feed", "FeedStatus",
    "Open", "OutgoingMail", "Picture", "Story", "Subscriber",
    "SubscriberStatus", "Subscription", "Suppression", "Topic", "TopicUpdate", "UTCDateTime",
    "UpdateSource", "UpdateStatus", "WebhookCall", "WebhookCallStatus", "WebhookEndpoint",
    "utcnow",
]
