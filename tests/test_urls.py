"""One cleaner for every stored link: absolute http(s), percent-encoded, inert in any attribute."""

from __future__ import annotations

import pytest

from newsletter.urls import normalize_url

INERT = set("\"'<>` \\") | {chr(c) for c in range(0x20)} | {"\x7f"}


@pytest.mark.parametrize("raw, clean", [
    ('https://x.example/i.png"><a href="https://phish.example">',
     "https://x.example/i.png%22%3E%3Ca%20href=%22https://phish.example%22%3E"),
    ("https://x.example/i.png' onerror='alert(1)",
     "https://x.example/i.png%27%20onerror=%27alert(1)"),
    ("https://x.example/a b?q=<x>&r=1#f\"g", "https://x.example/a%20b?q=%3Cx%3E&r=1#f%22g"),
    ("https://x.example/\x00a\nb\x7f", "https://x.example/ab"),
    ("  https://X.Example/path  ", "https://x.example/path"),
    ("https://Bücher.example/ä?ö=1", "https://xn--bcher-kva.example/%C3%A4?%C3%B6=1"),
    ("https://x.example/100%zz%41", "https://x.example/100%25zz%41"),
    ("https://x.example/`{}|\\^", "https://x.example/%60%7B%7D%7C%5C%5E"),
    ("http://127.0.0.1:8080/feed.xml?a=1&b=2", "http://127.0.0.1:8080/feed.xml?a=1&b=2"),
    ("https://[2001:DB8::1]/x", "https://[2001:db8::1]/x"),
])
def test_urls_are_percent_encoded_and_inert(raw, clean):
    assert normalize_url(raw) == clean
    assert not INERT & set(clean)
    assert normalize_url(clean) == clean  # cleaning twice changes nothing


@pytest.mark.parametrize("raw", [
    "javascript:alert(1)", "data:text/html,<b>", "//x.example/i.png", "/relative", "",
    "https://user:pw@x.example/", 'https://a"b.example/', "https://x.example:99999/",
    "http://[::1/", "https://" + "a" * 2000 + ".example/", None, 7,
])
def test_what_is_no_absolute_http_url_is_refused(raw):
    assert normalize_url(raw) is None


def test_relative_links_resolve_against_the_feed():
    assert normalize_url("../i.png?x=<y>", "https://x.example/a/b/") == \
        "https://x.example/a/i.png?x=%3Cy%3E"
