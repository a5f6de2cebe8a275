"""The public site (no login, cacheable): home, topic pages, archive, web copies, feeds, SEO.

Thin views: `pages` picks what the public may see, templates lay it out in the seed format.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, url_for

from ..errors import InvalidToken, NotFound
from ..mail.headings import auto_subject
from ..models import Edition, TopicUpdate
from ..subscribers.tokens import Tokens
from ..web.db import db, runtime
from . import atom, freshness, pages
from .caching import cacheable, etag_of
from .pictures import get_picture
from .seo import meta

bp = Blueprint("site", __name__)
ATOM = "application/atom+xml"
ROBOTS = """User-agent: *
Disallow: /admin/
Disallow: /api/
Disallow: /web/
Disallow: /preferences/
Disallow: /unsubscribe/
Disallow: /confirm/
Sitemap: {base}/sitemap.xml
"""


def _site() -> str:
    return runtime().settings.list_name


def _base() -> str:
    return runtime().settings.base_url.rstrip("/")


@bp.app_context_processor
def _names() -> dict[str, str]:
    return {"site_name": _site()}


@bp.errorhandler(NotFound)
def not_found(exc: NotFound) -> Response:
    """A friendly 404 that points somewhere useful, not a dead end."""
    cards = pages.home_cards(db())
    body = render_template("site/not_found.html", message=exc.message, cards=cards,
                           meta=meta("Page not found", exc.message, request.path, noindex=True))
    response = Response(body, status=404)
    response.cache_control.no_cache = True
    return response


@bp.errorhandler(InvalidToken)
def bad_link(exc: InvalidToken) -> Response:
    return not_found(NotFound("This link is not valid."))


@bp.get("/")
def home() -> Response:
    cards = pages.home_cards(db())
    site = _site()
    page_meta = meta(site, "Short, curated updates on the stories you follow, from many outlets: "
                     "read them here or get the topics you choose by email.", "/",
                     feeds=[(f"{site}: every edition", "/archive/feed.atom")])
    body = render_template("site/home.html", cards=cards, meta=page_meta)
    # the sign-up form carries this visitor's CSRF token: revalidate, never share
    return cacheable(body, private=True)


@bp.get("/topics/<slug>")
def topic(slug: str) -> Response:
    body, modified, etag = freshness.cache_for(runtime()).get(runtime(), ("topic", slug),
                                                              lambda: _topic_page(slug))
    return cacheable(body, modified=modified, etag=etag)


def _topic_page(slug: str) -> tuple[str, datetime, str]:
    page = pages.topic_page(db(), slug)
    latest = page.latest
    topic = page.topic
    featured = latest.featured if latest else None
    page_meta = meta(
        latest.headline if latest else topic.name,
        (latest.lede if latest and latest.lede else topic.description) or topic.name,
        f"/topics/{topic.slug}", kind="article" if latest else "website",
        image=featured.image_url if featured else None,
        feeds=[(f"{topic.name} updates", f"/topics/{topic.slug}/feed.atom")],
    )
    body = render_template("site/topic.html", page=page, meta=page_meta)
    return body, page.modified, etag_of(body)


@bp.get("/topics/<slug>/feed.atom")
def topic_feed(slug: str) -> Response:
    page = pages.topic_page(db(), slug)
    body = atom.topic_feed(page, base_url=_base(), site=_site(), content=_update_html)
    return cacheable(body, modified=page.modified, mimetype=ATOM)


def _update_html(update: TopicUpdate) -> str:
    return render_template("site/feed_update.html", updates=[update])


def _edition_html(edition: Edition, updates: list[TopicUpdate]) -> str:
    return render_template("site/feed_update.html", updates=updates, show_topic=True)


@bp.get("/archive")
def archive() -> Response:
    number = request.args.get("page", "1")
    if not number.isdigit() or not 1 <= int(number) <= 10_000:
        raise NotFound("No such archive page.")
    editions, older = pages.archive_page(db(), int(number))
    if not editions and number != "1":
        raise NotFound("No such archive page.")
    modified = max((e.finished_at or e.send_at for e in editions), default=None)
    page_meta = meta("Archive", f"Every edition of {_site()}, newest first.",
                     "/archive" + (f"?page={number}" if number != "1" else ""),
                     feeds=[(f"{_site()}: every edition", "/archive/feed.atom")])
    return cacheable(render_template("site/archive.html", editions=editions, page=int(number),
                                     older=older, meta=page_meta), modified=modified)


@bp.get("/archive/feed.atom")
def archive_feed() -> Response:
    entries = pages.archive_feed_entries(db())
    body = atom.archive_feed(entries, base_url=_base(), site=_site(), content=_edition_html)
    modified = max((e.finished_at or e.send_at for e, _ in entries), default=None)
    return cacheable(body, modified=modified, mimetype=ATOM)


@bp.get("/archive/<int:edition_id>")
def edition(edition_id: int) -> Response:
    page = pages.edition_page(db(), edition_id)
    return cacheable(_edition_page(page.edition, page.updates, f"/archive/{edition_id}"),
                     modified=page.modified)


def _edition_page(edition: Edition, updates: list[TopicUpdate], path: str,
                  web_copy: bool = False) -> str:
    lead = updates[0] if updates else None
    image = lead.featured.image_url if lead and lead.featured else None
    description = "; ".join(u.headline for u in updates) or edition.subject
    # a reader's copy carries the subject built from its own items, so its web copy does too
    heading = (auto_subject([u.headline for u in updates]) if web_copy and edition.auto_subject
               else "") or edition.subject
    page_meta = meta(heading, description, path, kind="article", image=image,
                     noindex=web_copy)
    return render_template("site/edition.html", edition=edition, updates=updates,
                           meta=page_meta, web_copy=web_copy, heading=heading)


@bp.get("/web/<token>")
def web_copy(token: str) -> Response:
    """"View in browser": the reader's own copy (their topics), whether or not the edition is
    in the public archive; the token names an edition and its items, never a reader."""
    edition_id, mask = Tokens(runtime().settings.secret_key).read_web_copy(token)
    page = pages.web_copy_page(db(), edition_id, mask)
    body = _edition_page(page.edition, page.updates, url_for("site.web_copy", token=token),
                         web_copy=True)
    response = cacheable(body, modified=page.modified, private=True)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/pictures/<key>.jpg")
def picture(key: str) -> Response:
    """Stored pictures never change under a key (it is their hash): cache them for a year."""
    found = get_picture(db(), key)
    response = cacheable(found.data, modified=found.created_at, mimetype=found.content_type,
                         max_age=365 * 24 * 3600)
    response.cache_control.immutable = True
    return response


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    topics, editions = pages.sitemap_entries(db())
    body = render_template("site/sitemap.xml", base=_base(), topics=topics, editions=editions)
    return cacheable(body, mimetype="application/xml", max_age=3600)


@bp.get("/robots.txt")
def robots() -> Response:
    return cacheable(ROBOTS.format(base=_base()), mimetype="text/plain", max_age=86400)


@bp.get("/favicon.ico")
def favicon() -> Response:
    return cacheable(_favicon(current_app.static_folder or ""), mimetype="image/x-icon",
                     max_age=7 * 86400)


@lru_cache(maxsize=1)
def _favicon(static_folder: str) -> bytes:
    return (Path(static_folder) / "favicon.ico").read_bytes()
