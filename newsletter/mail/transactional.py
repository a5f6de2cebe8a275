"""One-off emails to a subscriber (confirm, manage topics), in the same look as editions.

Each kind is rendered once per process with placeholders and then stamped, like editions.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from .message import MessageTemplate
from .message_ids import MessageIds
from .render import render_mjml, render_text

ACTION = "{{action_url}}"
PREFERENCES = "{{preferences_url}}"
UNSUBSCRIBE = "{{unsubscribe_url}}"
TOPICS = "{{topic_names}}"
SUBJECTS = {
    "confirm": "Confirm your subscription to {list_name}",
    "manage": "Your topics at {list_name}: change, pause or leave",
}


@lru_cache(maxsize=16)
def _rendered(kind: str, list_name: str, base_url: str) -> tuple[str, str]:
    context = {
        "title": SUBJECTS[kind].format(list_name=list_name),
        "preview": SUBJECTS[kind].format(list_name=list_name),
        "list_name": list_name,
        "kicker": "",
        "base_url": base_url,
        "action_url": ACTION,
        "preferences_url": PREFERENCES,
        "unsubscribe_url": UNSUBSCRIBE,
        "topic_names": TOPICS,
    }
    return render_text(f"{kind}.txt", **context), render_mjml(f"{kind}.mjml", **context)


def warm(list_name: str, base_url: str) -> None:
    """Render every kind now (MJML + premailer, ~0.6 s), at worker start-up: otherwise the
    first confirmation of a burst pays for it while readers wait for their email."""
    for kind in SUBJECTS:
        _rendered(kind, list_name, base_url)


@lru_cache(maxsize=16)
def _template(kind: str, list_name: str, mail_from: str, list_id: str) -> MessageTemplate:
    """One MessageTemplate per kind: its headers and boundary are the same for every letter."""
    return MessageTemplate.build(
        subject=SUBJECTS[kind].format(list_name=list_name), mail_from=mail_from, list_id=list_id
    )


def build_transactional(
    kind: str,
    *,
    to: str,
    subscriber_id: int,
    urls: dict[str, str],
    list_name: str,
    base_url: str,
    mail_from: str,
    list_id: str,
    topics: list[str] | None = None,
    message_key: str | None = None,
) -> tuple[str, bytes]:
    """(Message-ID, message bytes). `urls` has action, preferences and unsubscribe;
    `topics` are the names of the topics the reader chose, in the order shown on the site.

    `message_key` makes the Message-ID stable: a message sent again after a crash (the
    one whose acceptance could not be recorded) is then the same message to the receiver.
    """
    text, html = _rendered(kind, list_name, base_url)
    names = topics or []
    text = text.replace(TOPICS, "\n".join(f"  - {name}" for name in names) or "  (none yet)")
    html = html.replace(TOPICS, ", ".join(f"<strong>{escape(name)}</strong>" for name in names)
                        or "none yet")
    for placeholder, key in ((ACTION, "action"), (PREFERENCES, "preferences"),
                             (UNSUBSCRIBE, "unsubscribe")):
        text = text.replace(placeholder, urls.get(key, base_url))
        html = html.replace(placeholder, urls.get(key, base_url))
    template = _template(kind, list_name, mail_from, list_id)
    ids = MessageIds.for_sender(mail_from)
    label = f"{kind}-{subscriber_id}"
    msg_id = f"<{label}.{message_key}@{ids.domain}>" if message_key else ids.unique(label)
    data = template.render(
        to=to, msg_id=msg_id, text=text, html=html,
        list_unsubscribe=f"<{urls['unsubscribe']}>",
    )
    return msg_id, data
