"""OPML import and export of a topic's feeds (what every feed reader speaks)."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - DTDs are refused before parsing, see _parse
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ..editorial.topics import get_topic
from ..errors import NewsletterError, ValidationError
from ..models import utcnow
from .catalog import add_feed, list_feeds

MAX_BYTES = 1024 * 1024
MAX_FEEDS = 500


@dataclass
class ImportResult:
    added: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def export_opml(session: Session, topic_slug: str) -> bytes:
    topic = get_topic(session, topic_slug)
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = f"{topic.name} feeds"
    ET.SubElement(head, "dateCreated").text = utcnow().strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = ET.SubElement(root, "body")
    outline = ET.SubElement(body, "outline", text=topic.name, title=topic.name)
    for feed in list_feeds(session, topic_slug):
        attrs = {"type": "rss", "text": feed.title or feed.url, "title": feed.title or feed.url,
                 "xmlUrl": feed.url}
        if feed.site_url:
            attrs["htmlUrl"] = feed.site_url
        ET.SubElement(outline, "outline", attrs)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _parse(data: bytes) -> ET.Element:
    """No DTD at all: entity expansion (billion laughs) and external entities are impossible."""
    if len(data) > MAX_BYTES:
        raise ValidationError("The OPML file is larger than 1 MB.", field="opml")
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise ValidationError("OPML files with a DOCTYPE are not accepted.", field="opml")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD, checked above
    except ET.ParseError as exc:
        raise ValidationError(f"This is not a readable OPML file ({exc}).", field="opml") from exc
    if root.tag.lower() != "opml":
        raise ValidationError("This is not an OPML file.", field="opml")
    return root


def import_opml(session: Session, topic_slug: str, data: bytes, *, allow_private: bool = False,
                poll_minutes: int | None = None) -> ImportResult:
    """Add every feed outline (xmlUrl); known or bad URLs are skipped with a reason."""
    get_topic(session, topic_slug)
    outlines = [o for o in _parse(data).iter("outline") if o.get("xmlUrl")]
    if len(outlines) > MAX_FEEDS:
        raise ValidationError(f"At most {MAX_FEEDS} feeds per import.", field="opml")
    result = ImportResult()
    for outline in outlines:
        url = (outline.get("xmlUrl") or "").strip()
        title = (outline.get("title") or outline.get("text") or "").strip()[:300]
        try:
            with session.begin_nested():
                add_feed(session, topic_slug, url, poll_minutes, allow_private=allow_private,
                         title=title if title != url else "")
            result.added += 1
        except NewsletterError as exc:
            result.skipped += 1
            result.errors.append(f"{url[:200]}: {exc.message}")
    return result
