"""Make feed text safe before it is stored: an allow-list for summaries, plain text for titles.

feedparser cleans HTML-typed content only; text/plain titles and summaries arrive raw, so
everything goes through here whatever type the feed claims.
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3

from ..urls import normalize_url

ALLOWED_TAGS = {
    "p", "br", "a", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote", "q",
    "code", "pre", "h2", "h3", "h4", "figure", "figcaption", "img", "sub", "sup", "small",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height", "title"}}
URL_ATTRIBUTES = {"href", "src"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACE = re.compile(r"\s+")


def safe_url(value: object, base: str | None = None) -> str | None:
    """An absolute, percent-encoded http(s) URL, or None (see newsletter.urls)."""
    return normalize_url(value, base)


def plain_text(value: object, max_len: int | None = None) -> str:
    """Tags stripped (script and style with their content), entities decoded, spaces collapsed.

    Repeats until stable so an escaped tag (&lt;script&gt;) cannot come back as a real one.
    The result is text: templates escape it when they show it.
    """
    if not isinstance(value, str):
        return ""
    text = value
    for _ in range(5 if ("<" in text or "&" in text) else 0):
        cleaned = html.unescape(nh3.clean(text, tags=set()))
        if cleaned == text:
            break
        text = cleaned
    else:
        text = html.unescape(nh3.clean(text, tags=set())).replace("<", "‹").replace(">", "›")
    text = unicodedata.normalize("NFC", _SPACE.sub(" ", text)).strip()
    text = "".join(c for c in text if unicodedata.category(c) != "Cc")
    if max_len and len(text) > max_len:
        text = text[: max_len - 1].rstrip() + "…"
    return text


def _keep_safe_urls(tag: str, attribute: str, value: str) -> str | None:
    if attribute in URL_ATTRIBUTES:
        return safe_url(value)
    return value


def clean_html(value: object, *, plain: bool = False, max_len: int = 20000) -> str:
    """Allow-listed HTML: no script, no event handler, no form, only http(s) links and images."""
    if not isinstance(value, str) or not value.strip():
        return ""
    text = value[:max_len]
    if plain:
        text = html.escape(text)
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        attribute_filter=_keep_safe_urls,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()
