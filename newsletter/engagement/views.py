"""The redirect behind every tracked link: check the token, note the click, 302 at once."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, redirect, request
from redis.exceptions import RedisError
from sqlalchemy import select

from ..errors import BadRequest
from ..models import Edition, utcnow
from ..web.db import db, runtime
from . import tracking
from .classify import agent_class
from .links import ClickSigner
from .recording import push, push_open

log = logging.getLogger(__name__)
bp = Blueprint("engagement", __name__)
CACHED_EDITIONS = 64
_CACHE = "newsletter.edition_links"  # in app.extensions: edition id -> its tracked URLs


def edition_links(edition_id: int) -> list[str]:
    """The tracked URLs of an edition's stored render, kept per app (they never change once
    an edition has started; an app per database, so ids are never another edition's)."""
    _links: OrderedDict[int, list[str]] = current_app.extensions[_CACHE]
    links = _links.get(edition_id)
    if links is None:
        rendered = db().scalar(select(Edition.rendered).where(Edition.id == edition_id))
        links = list((rendered or {}).get("links") or [])
        if rendered:
            _links[edition_id] = links
            while len(_links) > CACHED_EDITIONS:
                _links.popitem(last=False)
    return links


@bp.get("/r/<path:token>")
def follow(token: str):  # type: ignore[no-untyped-def]
    settings = runtime().settings
    ref = ClickSigner(settings.secret_key).parse(token) if len(token) < 120 else None
    links = edition_links(ref.edition_id) if ref is not None else []
    if ref is None or not 0 <= ref.item < len(links) or not links[ref.item]:
        raise BadRequest("This link is not valid. Open the article from the email again.")
    if ref.subscriber_id is not None and tracking.current(runtime().Session, settings).clicks:
        try:
            push(runtime().redis, ref, agent_class(request.headers.get("User-Agent")), utcnow())
        except RedisError:  # the reader still gets their article
            log.warning("click on edition %s not recorded: Redis unavailable", ref.edition_id)
    response = redirect(links[ref.item], 302)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
         b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


@bp.get("/o/<path:token>")
def opened(token: str):  # type: ignore[no-untyped-def]
    """The open pixel: always a 1x1 GIF (a mail client shows nothing broken); recorded only
    for a valid token while OPEN_TRACKING is on."""
    settings = runtime().settings
    ref = ClickSigner(settings.secret_key).parse_open(token) if len(token) < 120 else None
    if ref is not None and tracking.current(runtime().Session, settings).opens:
        try:
            push_open(runtime().redis, *ref, agent_class(request.headers.get("User-Agent")),
                      utcnow())
        except RedisError:
            log.warning("open of edition %s not recorded: Redis unavailable", ref[0])
    response = Response(PIXEL, mimetype="image/gif")
    response.headers["Cache-Control"] = "private, no-store"
    return response


class _Lazy:
    """A truth value looked up when a template tests it."""

    def __init__(self, read: Callable[[], bool]) -> None:
        self.read = read

    def __bool__(self) -> bool:
        return self.read()


def init_app(app: Flask) -> None:
    app.extensions[_CACHE] = OrderedDict()

    @app.context_processor
    def privacy() -> dict[str, bool]:  # the sign-up page says what is recorded
        def chosen() -> tracking.Tracking:
            return tracking.current(runtime().Session, runtime().settings)

        # read only by a page that shows them (the sign-up page), not by every page
        return {"click_tracking": _Lazy(lambda: chosen().clicks),
                "open_tracking": _Lazy(lambda: chosen().opens)}

    app.register_blueprint(bp)
