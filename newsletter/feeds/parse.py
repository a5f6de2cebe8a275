"""Turn fetched bytes into clean entries with feedparser (never feedparser.parse(url)).

Every field that reaches the database comes out of here already safe and derived: plain
text titles, allow-listed summaries, absolute http(s) links, canonical URL, image, reading
time and a UTC publish time (None when the feed has none: the store uses first-seen time).
"""

from __future__ import annotations

import calendar
import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from .sanitize import clean_html, plain_text, safe_url
from .urls import canonical_url, site_host, strip_tracking

WORDS_PER_MINUTE = 230
_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)
_TAG = re.compile(r"<[^>]*>")
SUMMARY_TEXT_LIMIT = 600


class NotAFeed(Exception):  # noqa: N818
    """The bytes hold no feed entries we could read."""


@dataclass
class Entry:
    guid: str
    url: str
    canonical_url: str
    title: str
    summary: str
    image_url: str | None
    reading_minutes: int
    published_at: datetime | None
    content_hash: str


@dataclass
class ParsedFeed:
    title: str
    site_url: str | None
    entries: list[Entry] = field(default_factory=list)
    skipped: int = 0
    warning: str | None = None

    @property
    def outlet(self) -> str:
        return self.title or site_host(self.site_url)


def _is_plain(detail: Any) -> bool:
    return bool(detail) and str(detail.get("type", "")).lower() == "text/plain"


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _image(entry: Any, html_parts: list[str], base: str | None) -> str | None:
    candidates: list[object] = []
    for media in entry.get("media_content") or []:
        medium = str(media.get("medium", "") or media.get("type", ""))
        if not medium or medium.startswith("image"):
            candidates.append(media.get("url"))
    for thumb in entry.get("media_thumbnail") or []:
        candidates.append(thumb.get("url"))
    for link in entry.get("enclosures") or []:
        if str(link.get("type", "")).startswith("image"):
            candidates.append(link.get("href") or link.get("url"))
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image"):
            candidates.append(link.get("href"))
    for part in html_parts:
        match = _IMG_SRC.search(part)
        if match:
            candidates.append(match.group(1))
    for candidate in candidates:
        url = safe_url(candidate, base)
        if url:
            return url
    return None


def _text_for_counting(markup: str) -> str:
    """Words only, for counting and hashing: never stored or shown, so a regex is enough."""
    return _TAG.sub(" ", markup)


def reading_minutes(text: str) -> int:
    return max(1, math.ceil(len(_WORD.findall(text)) / WORDS_PER_MINUTE))


def _guid(entry: Any, url: str | None, title: str, summary: str) -> str:
    raw = str(entry.get("id") or "").strip()
    if raw:
        return raw if len(raw) <= 1000 else "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
    if url:
        return url[:1000]
    summary_text = _text_for_counting(summary)
    return "sha256:" + hashlib.sha256(f"{title}\n{summary_text}".encode()).hexdigest()


def parse_entry(entry: Any, base: str | None) -> Entry | None:
    """One entry, or None when it has no http(s) link to point readers to."""
    title = plain_text(entry.get("title", ""), max_len=500)
    contents = [c for c in entry.get("content") or [] if c.get("value")]
    html_parts = [str(c.get("value")) for c in contents]
    summary_raw = str(entry.get("summary") or "")
    if summary_raw:
        html_parts.append(summary_raw)
        summary = clean_html(summary_raw, plain=_is_plain(entry.get("summary_detail")))
    elif contents:
        summary = clean_html(plain_text(html_parts[0], max_len=SUMMARY_TEXT_LIMIT), plain=True)
    else:
        summary = ""
    guid_link = entry.get("id") if entry.get("guidislink") else None
    url = safe_url(entry.get("link"), base) or safe_url(guid_link, base)
    if url is None:
        for link in entry.get("links") or []:
            if link.get("rel", "alternate") == "alternate":
                url = safe_url(link.get("href"), base)
                if url:
                    break
    if url is None:
        return None
    url = strip_tracking(url)
    if not title:
        title = plain_text(summary, max_len=120) or url
    body = max(html_parts, key=len, default="")
    digest = hashlib.sha256(f"{title}\n{summary}\n{body}".encode()).hexdigest()
    return Entry(
        guid=_guid(entry, url if not entry.get("id") else None, title, summary),
        url=url,
        canonical_url=canonical_url(url),
        title=title,
        summary=summary,
        image_url=_image(entry, html_parts, base),
        reading_minutes=reading_minutes(_text_for_counting(body)),
        published_at=_when(entry),
        content_hash=digest,
    )


def parse_feed(content: bytes, *, content_type: str | None = None,
               base_url: str | None = None) -> ParsedFeed:
    """Parse bytes; a bozo feed that still has entries is fine, one with none raises NotAFeed."""
    headers = {"content-type": content_type} if content_type else {}
    if base_url:
        headers["content-location"] = base_url
    # sanitize_html=False: feedparser would only clean HTML-typed fields (and slowly); every
    # field goes through nh3 in sanitize.py whatever its type, so that is the one sanitizer.
    parsed = feedparser.parse(content, response_headers=headers, sanitize_html=False)
    entries_raw = parsed.get("entries") or []
    meta = parsed.get("feed") or {}
    if not entries_raw and (parsed.get("bozo") or not meta.get("title")):
        reason = parsed.get("bozo_exception")
        raise NotAFeed(f"Not a readable feed{': ' + str(reason)[:300] if reason else ''}.")
    site = safe_url(meta.get("link"), base_url)
    feed = ParsedFeed(title=plain_text(meta.get("title", ""), max_len=200), site_url=site)
    if parsed.get("bozo"):
        feed.warning = f"Feed is not well-formed ({str(parsed.get('bozo_exception'))[:200]})."
    base = site or base_url
    for raw in entries_raw:
        entry = parse_entry(raw, base)
        if entry is None:
            feed.skipped += 1
        else:
            feed.entries.append(entry)
    return feed
