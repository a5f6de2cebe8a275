"""Atom feeds (RFC 4287) of a topic's published updates and of the public archive, built with
feedgen so the XML is well-formed and escaped whatever editors type."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from feedgen.feed import FeedGenerator

from ..models import Edition, TopicUpdate, utcnow
from .pages import TopicPage


def _feed(feed_id: str, title: str, subtitle: str, page_url: str, self_url: str,
          author: str, updated: datetime | None) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(title)
    fg.subtitle(subtitle or title)
    fg.link(href=page_url, rel="alternate", type="text/html")
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.author({"name": author})
    fg.language("en")
    fg.updated(updated or utcnow())
    return fg


def topic_feed(page: TopicPage, *, base_url: str, site: str,
               content: Callable[[TopicUpdate], str]) -> bytes:
    topic = page.topic
    url = f"{base_url}/topics/{topic.slug}"
    fg = _feed(url, f"{topic.name} · {site}", topic.description, url, f"{url}/feed.atom", site,
               page.modified)
    for update in page.updates:
        when = update.published_at or update.created_at
        entry = fg.add_entry(order="append")
        entry.id(f"{url}#update-{update.id}")
        entry.title(update.headline)
        entry.link(href=f"{url}#update-{update.id}", rel="alternate", type="text/html")
        entry.published(when)
        entry.updated(when)
        entry.author({"name": update.curator_name or site})
        if update.lede:
            entry.summary(update.lede)
        entry.content(content(update), type="html")
    return fg.atom_str(pretty=True)


def archive_feed(editions: list[tuple[Edition, list[TopicUpdate]]], *, base_url: str,
                 site: str, content: Callable[[Edition, list[TopicUpdate]], str]) -> bytes:
    url = f"{base_url}/archive"
    newest = max((e.finished_at or e.send_at for e, _ in editions), default=None)
    fg = _feed(url, f"{site}: every edition", f"Past editions of {site}", url, f"{url}/feed.atom",
               site, newest)
    for edition, updates in editions:
        when = edition.finished_at or edition.send_at
        entry = fg.add_entry(order="append")
        entry.id(f"{url}/{edition.id}")
        entry.title(edition.subject)
        entry.link(href=f"{url}/{edition.id}", rel="alternate", type="text/html")
        entry.published(edition.send_at)
        entry.updated(when)
        if updates:
            entry.summary("; ".join(u.headline for u in updates))
        entry.content(content(edition, updates), type="html")
    return fg.atom_str(pretty=True)
