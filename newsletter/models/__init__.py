"""All models, importable from one place; each lives in a module named after its noun."""

from .accounts import ApiToken, Editor
from .audience import Subscriber, Subscription, Suppression
from .base import Base, UTCDateTime, utcnow
from .bounces import BounceRecord
from .delivery import ArchivedDelivery, ArchivedEdition, Delivery
from .editorial import Edition, EditionItem, Topic, TopicUpdate, UpdateSource
from .engagement import Click, ListSetting, Open
from .feeds import Article, Feed, Story
from .outbox import OutgoingMail
from .pictures import Picture
from .statuses import (
    BounceKind,
    Cadence,
    ClickKind,
    DeliveryMode,
    DeliveryStatus,
    EditionKind,
    EditionStatus,
    EditorRole,
    FeedStatus,
    LateReaders,
    SubscriberStatus,
    UpdateStatus,
    WebhookCallStatus,
)
from .webhooks import WebhookCall, WebhookEndpoint

__all__ = [
    "ApiToken", "ArchivedDelivery", "ArchivedEdition", "Article", "Base", "BounceKind",
    "BounceRecord", "Cadence", "Click", "ClickKind",
    "Delivery", "DeliveryMode", "DeliveryStatus",
    "Edition", "EditionItem", "EditionKind", "EditionStatus", "Editor", "EditorRole", "Feed",
    "FeedStatus", "LateReaders", "ListSetting",
    "Open", "OutgoingMail", "Picture", "Story", "Subscriber",
    "SubscriberStatus", "Subscription", "Suppression", "Topic", "TopicUpdate", "UTCDateTime",
    "UpdateSource", "UpdateStatus", "WebhookCall", "WebhookCallStatus", "WebhookEndpoint",
    "utcnow",
]
