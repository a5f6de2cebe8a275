"""The one cleaning every stored link goes through: feed entries, API, composer and OPML.

A stored URL ends up inside HTML attributes of pages and of email, and MJML decodes some of
those attributes (`mj-image src`) and writes them back raw. So a stored URL is not only
"http(s) and absolute" but also inert as markup: every character outside RFC 3986's set, and
the quote `'`, is percent-encoded, control characters are dropped, the host is lowercase
ASCII (IDNA). A URL cleaned here contains none of `"'<>`, spaces, backslashes or controls.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import idna

MAX_LENGTH = 2000
SCHEMES = {"http", "https"}
# RFC 3986 unreserved + reserved characters, minus the quote ' (a sub-delimiter that would end a
# single-quoted attribute), plus % for escapes already present.
_PATH_SAFE = "/:@!$&()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?")


def _host(hostname: str) -> str | None:
    """Lowercase ASCII host (IDNA for international names), or None when it is not a host."""
    if ":" in hostname:  # an IPv6 literal (urlsplit took the brackets off)
        try:
            return f"[{ipaddress.IPv6Address(hostname.split('%', 1)[0]).compressed}]"
        except ValueError:
            return None
    host = hostname.rstrip(".").lower()
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            return None
    return host if _HOST.fullmatch(host) and ".." not in host else None


def _escape(part: str, safe: str) -> str:
    return _BAD_ESCAPE.sub("%25", quote(part, safe=safe))


def normalize_url(value: object, base: str | None = None) -> str | None:
    """An absolute, percent-encoded http(s) URL, or None when value cannot be one.

    Relative references are resolved against `base` when given (feed entries); without a
    base they are refused. javascript:, data:, credentialed (user:pass@) and over-long URLs
    are refused; spaces, quotes and angle brackets are encoded, never passed through.
    """
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub("", value).strip()
    if not text:
        return None
    try:
        if base:
            text = urljoin(base, text)
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # an unclosed [IPv6 literal, a port that is not a number
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    host = _host(parts.hostname)
    if host is None:
        return None
    netloc = host if port is None else f"{host}:{port}"
    url = urlunsplit((
        scheme, netloc, _escape(parts.path, _PATH_SAFE),
        _escape(parts.query, _QUERY_SAFE), _escape(parts.fragment, _QUERY_SAFE),
    ))
    return url if len(url) <= MAX_LENGTH else None
