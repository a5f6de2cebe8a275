"""Canonical URLs: the key that finds one article behind rotated GUIDs and tracking links."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid",
    "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "ref", "ref_src", "ref_url", "cmpid", "ocid",
    "sr_share", "spm", "smid", "s_cid", "ncid", "at_medium",
    "at_campaign", "guccounter", "soc_src", "soc_trk",
}
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_", "__twitter", "oly_", "vero_")


def is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def strip_tracking(url: str) -> str:
    """The link as published minus tracking parameters and fragment (what we show and store)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def canonical_url(url: str) -> str:
    """Lowercase host without www. and default port, https, no tracking params, sorted query."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not is_tracking(k))
    return urlunsplit(("https", netloc, path, urlencode(query), ""))[:2000]


def site_host(url: str | None) -> str:
    """example.com for https://www.example.com/feed (an outlet name of last resort)."""
    host = (urlsplit(url or "").hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
