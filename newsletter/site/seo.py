"""What a shared or indexed page says about itself: title, description, canonical URL, Open
Graph and Twitter card tags. Absolute URLs come from BASE_URL, never from the Host header."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..web.db import runtime


@dataclass(frozen=True)
class Meta:
    title: str
    headline: str
    description: str
    url: str
    site: str
    type: str = "website"
    image: str | None = None
    noindex: bool = False
    feeds: list[tuple[str, str]] = field(default_factory=list)


def absolute(path_or_url: str | None) -> str | None:
    if not path_or_url:
        return None
    if path_or_url.startswith(("http://", "https://")):
        return path_or_url
    return runtime().settings.base_url.rstrip("/") + "/" + path_or_url.lstrip("/")


def meta(headline: str, description: str, path: str, *, kind: str = "website",
         image: str | None = None, noindex: bool = False,
         feeds: list[tuple[str, str]] | None = None) -> Meta:
    site = runtime().settings.list_name
    title = headline if headline == site else f"{headline} · {site}"
    description = " ".join(description.split())
    if len(description) > 200:
        description = description[:197].rsplit(" ", 1)[0] + "…"
    return Meta(title=title, headline=headline, description=description, url=absolute(path) or "",
                site=site, type=kind, image=absolute(image), noindex=noindex,
                feeds=[(t, absolute(h) or "") for t, h in feeds or []])
