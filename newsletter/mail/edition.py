"""Render an edition once, then cut it into per-item blocks that messages are stamped from.

The rendered edition holds placeholders instead of per-recipient links; `stamp` fills
them in and picks the blocks a recipient chose, with plain string joins only.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from ..models import Edition, TopicUpdate
from .message import qp_piece
from .render import render_mjml, render_text

PREFERENCES = "{{preferences_url}}"
UNSUBSCRIBE = "{{unsubscribe_url}}"
WEB_COPY = "{{web_copy_url}}"  # "View in browser": one per (edition, topics), never per reader
_PLACEHOLDERS = (PREFERENCES, UNSUBSCRIBE, WEB_COPY)
_HTML_MARK = re.compile(r"<!-- item:(\d+):start -->(.*?)<!-- item:\1:end -->", re.S)
_LINK = re.compile("(" + "|".join(re.escape(p) for p in _PLACEHOLDERS) + ")")
_TEXT_MARK = re.compile(r"<<item:(\d+):start>>\n?(.*?)<<item:\1:end>>\n?", re.S)
MAX_ITEMS = 62  # one bit per item in Delivery.topics_mask (a signed 64-bit integer)


@dataclass(frozen=True)
class RenderedEdition:
    subject: str
    html_head: str
    html_items: list[str]
    html_tail: str
    text_head: str
    text_items: list[str]
    text_tail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RenderedEdition:
        return cls(**data)

    def stamp(self, mask: int, preferences_url: str, unsubscribe_url: str,
              web_copy_url: str = "#") -> tuple[str, str]:
        """(text, html) for one recipient: their items in editorial order plus their links."""
        picked = [i for i in range(len(self.html_items)) if mask >> i & 1]
        urls = (preferences_url, unsubscribe_url, web_copy_url)
        html = "".join(
            (
                _links(self.html_head, *urls),
                *(self.html_items[i] for i in picked),
                _links(self.html_tail, *urls),
            )
        )
        text = "".join(
            (
                _links(self.text_head, *urls),
                *(self.text_items[i] for i in picked),
                _links(self.text_tail, *urls),
            )
        )
        return text, html


Pieces = tuple[bytes | str, ...]  # bytes: encoded once; str: a link placeholder


def _encode_pieces(part: str) -> Pieces:
    return tuple(p if p in _PLACEHOLDERS else qp_piece(p)
                 for p in _LINK.split(part) if p)


@dataclass(frozen=True)
class EncodedEdition:
    """The edition's blocks already quoted-printable encoded: what each copy is joined from.

    Built once per edition and process; a copy costs two small encodes (its links) and
    two joins, never a render or a whole-body encode.
    """

    html_head: Pieces
    html_items: tuple[bytes, ...]
    html_tail: Pieces
    text_head: Pieces
    text_items: tuple[bytes, ...]
    text_tail: Pieces

    @classmethod
    def of(cls, rendered: RenderedEdition) -> EncodedEdition:
        def tail(part: str) -> Pieces:  # bodies end with a line break, as `email` builds them
            return _encode_pieces(part if part.endswith("\n") else part + "\n")

        return cls(
            _encode_pieces(rendered.html_head),
            tuple(qp_piece(i) for i in rendered.html_items),
            tail(rendered.html_tail),
            _encode_pieces(rendered.text_head),
            tuple(qp_piece(i) for i in rendered.text_items),
            tail(rendered.text_tail),
        )

    def stamp(self, mask: int, preferences_url: str, unsubscribe_url: str,
              web_copy_url: str = "#") -> tuple[bytes, bytes]:
        """(text, html) bodies for one recipient, encoded, their items in editorial order."""
        links = {PREFERENCES: qp_piece(preferences_url), UNSUBSCRIBE: qp_piece(unsubscribe_url),
                 WEB_COPY: qp_piece(web_copy_url)}
        picked = [i for i in range(len(self.html_items)) if mask >> i & 1]

        def join(head: Pieces, items: tuple[bytes, ...], tail: Pieces) -> bytes:
            return b"".join((
                *(links[p] if isinstance(p, str) else p for p in head),
                *(items[i] for i in picked),
                *(links[p] if isinstance(p, str) else p for p in tail),
            ))

        return (join(self.text_head, self.text_items, self.text_tail),
                join(self.html_head, self.html_items, self.html_tail))


def _links(part: str, preferences_url: str, unsubscribe_url: str, web_copy_url: str) -> str:
    return (part.replace(PREFERENCES, preferences_url).replace(UNSUBSCRIBE, unsubscribe_url)
            .replace(WEB_COPY, web_copy_url))


def update_context(update: TopicUpdate) -> dict[str, Any]:
    """Plain data for one topic block, so the templates never touch the ORM."""
    featured = update.featured
    return {
        "topic_slug": update.topic.slug,
        "topic_name": update.topic.name,
        "headline": update.headline,
        "lede": update.lede,
        "bullets": list(update.bullets or []),
        "background": list(update.background or []),
        "outlets": update.outlets,
        "article_count": update.total_articles,
        "curator_name": update.curator_name,
        "curator_image_url": update.curator_image_url,
        "featured": None
        if featured is None
        else {
            "outlet": featured.outlet,
            "title": featured.title,
            "url": featured.url,
            "image_url": featured.image_url,
            "reading_minutes": featured.reading_minutes,
        },
    }


def render_items(
    subject: str, items: list[dict[str, Any]], *, list_name: str, base_url: str, kicker: str = ""
) -> RenderedEdition:
    """MJML + premailer run here, once; the result is cut at the item markers."""
    # pictures the service stores are site paths; an email needs them absolute
    items = [{**i, "curator_image_url": base_url.rstrip("/") + i["curator_image_url"]}
             if (i.get("curator_image_url") or "").startswith("/") else i for i in items]
    context = {
        "subject": subject,
        "title": subject,
        # The inbox preview line is shared by every copy, so it must not list headlines of
        # topics a reader did not choose.
        "preview": f"Your {list_name} briefing: the latest on the topics you follow.",
        "items": items,
        "list_name": list_name,
        "kicker": kicker,
        "base_url": base_url,
        "preferences_url": PREFERENCES,
        "unsubscribe_url": UNSUBSCRIBE,
        "web_copy_url": WEB_COPY,
    }
    html = render_mjml("edition.mjml", **context)
    text = render_text("edition.txt", **context)
    html_head, html_items, html_tail = split_blocks(html, _HTML_MARK, len(items))
    text_head, text_items, text_tail = split_blocks(text, _TEXT_MARK, len(items))
    return RenderedEdition(subject, html_head, html_items, html_tail, text_head, text_items, text_tail)


def render_edition(edition: Edition, *, list_name: str, base_url: str) -> RenderedEdition:
    items = [update_context(item.update) for item in edition.items]
    kicker = edition.send_at.strftime("%A, %-d %B %Y")
    return render_items(edition.subject, items, list_name=list_name, base_url=base_url, kicker=kicker)


def split_blocks(rendered: str, marker: re.Pattern[str], count: int) -> tuple[str, list[str], str]:
    matches = list(marker.finditer(rendered))
    if [int(m.group(1)) for m in matches] != list(range(count)):
        raise RuntimeError("rendered edition lost its item markers; check the email template")
    if not matches:
        return rendered, [], ""
    head = rendered[: matches[0].start()]
    tail = rendered[matches[-1].end() :]
    items = []
    for i, m in enumerate(matches):
        gap_end = matches[i + 1].start() if i + 1 < len(matches) else m.end()
        items.append(m.group(2) + rendered[m.end() : gap_end])  # markers are dropped
    return head, items, tail
