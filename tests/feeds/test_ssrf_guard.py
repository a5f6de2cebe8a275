"""Only http(s), and no loopback/private/link-local/reserved address unless allowed, on every hop."""

from __future__ import annotations

import dataclasses
import ipaddress

import httpx
import pytest

from newsletter.errors import ValidationError
from newsletter.feeds.catalog import add_feed
from newsletter.feeds.fetch import fetch
from newsletter.feeds.settings import FeedSettings
from newsletter.feeds.ssrf import GuardedTransport, UnsafeURL, check_url, embedded_ipv4
from newsletter.models import FeedStatus

from .helpers import feed_for, poll
from .samples import items, rss2
from .server import Route

PUBLIC_FEED = "http://93.184.215.14/feed.xml"  # a public literal: no DNS needed in the test


@pytest.fixture
def strict(feed_settings: FeedSettings) -> FeedSettings:
    return dataclasses.replace(feed_settings, allow_private=False)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/feed", "http://localhost/feed", "http://10.1.2.3/", "http://192.168.0.1/",
    "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
    "http://[fe80::1]/", "http://0.0.0.0/", "http://100.64.0.1/", "http://[::ffff:127.0.0.1]/",
    "http://240.0.0.1/",
])
def test_private_and_reserved_addresses_are_refused(url):
    with pytest.raises(UnsafeURL):
        check_url(url, allow_private=False)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/feed",
                                 "gopher://127.0.0.1:6379/_INFO", "javascript:alert(1)", "//x"])
def test_only_http_and_https_are_fetched(url):
    with pytest.raises(UnsafeURL):
        check_url(url, allow_private=True)


def test_loopback_feed_is_refused_when_private_is_off(db, topic, settings, feed_server, strict):
    url = feed_server.add("/local.xml", Route(rss2(items(1))))
    feed = feed_for(db, url)
    result = poll(db, feed, strict)
    assert result.status == FeedStatus.ERROR and "private" in result.error
    assert feed_server.hits("/local.xml") == []


def test_guarded_transport_refuses_loopback_even_without_the_precheck(feed_server):
    feed_server.add("/direct.xml", Route(rss2(items(1))))
    with httpx.Client(transport=GuardedTransport(allow_private=False)) as client, \
            pytest.raises(UnsafeURL):
        client.get(feed_server.url("/direct.xml"))
    assert feed_server.hits("/direct.xml") == []


def test_adding_a_private_feed_is_refused_when_private_is_off(db, topic):
    with pytest.raises(ValidationError, match="private"):
        add_feed(db, "climate", "http://127.0.0.1:8080/feed", allow_private=False)


@pytest.mark.parametrize("target", ["/internal.xml", "http://localhost:{port}/internal.xml",
                                    "http://169.254.169.254/latest/meta-data/"])
def test_redirect_to_a_private_address_is_refused(feed_server, strict, target):
    """The first hop is a public host (played by a mock, the one part that cannot run here);
    the redirect points at our real local server, which must never be reached."""
    feed_server.add("/internal.xml", Route(rss2(items(1))))
    location = target.format(port=feed_server.httpd.server_address[1])
    if location.startswith("/"):
        location = feed_server.url(location)

    def public_host(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": location})

    with httpx.Client(transport=httpx.MockTransport(public_host)) as client:
        result = fetch(PUBLIC_FEED, strict, client=client)
    assert result.error and "private" in result.error
    assert feed_server.hits("/internal.xml") == []


def test_redirect_loop_is_stopped(db, topic, settings, feed_server):
    feed_server.add("/a.xml", Route(status=302, headers={"Location": "/b.xml"}))
    feed_server.add("/b.xml", Route(status=301, headers={"Location": "/a.xml"}))
    feed = feed_for(db, feed_server.url("/a.xml"))
    result = poll(db, feed, settings)
    assert result.status == FeedStatus.ERROR and "loop" in result.error.lower()
    assert len(feed_server.requests) == 2


def test_too_many_redirects_are_stopped(db, topic, settings, feed_server):
    for k in range(10):
        feed_server.add(f"/hop{k}", Route(status=307, headers={"Location": f"/hop{k + 1}"}))
    feed = feed_for(db, feed_server.url("/hop0"))
    result = poll(db, feed, settings)
    assert "More than 5 redirects" in result.error and len(feed_server.requests) == 6


def test_redirect_to_a_feed_is_followed(db, topic, settings, feed_server):
    feed_server.add("/old.xml", Route(status=301, headers={"Location": "/new.xml"}))
    feed_server.add("/new.xml", Route(rss2(items(2))))
    feed = feed_for(db, feed_server.url("/old.xml"))
    assert poll(db, feed, settings).new == 2


@pytest.mark.parametrize("address, embedded", [
    ("2002:7f00:1::1", "127.0.0.1"),  # 6to4 around loopback
    ("2002:c0a8:101::1", "192.168.1.1"),  # 6to4 around a private LAN
    ("2002:a9fe:a9fe::1", "169.254.169.254"),  # 6to4 around the cloud metadata address
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1"),  # Teredo, client loopback
    ("2001:0:4136:e378:8000:63bf:3f57:fefe", "192.168.1.1"),  # Teredo, client private
])
def test_tunnelled_private_ipv4_is_refused(address, embedded):
    assert embedded in {str(a) for a in embedded_ipv4(ipaddress.ip_address(address))}
    with pytest.raises(UnsafeURL, match="private"):
        check_url(f"http://[{address}]/feed", allow_private=False)


@pytest.mark.parametrize("address", ["fec0::1", "fed0:1::2", "feff:ffff::1"])
def test_site_local_ipv6_is_refused(address):
    with pytest.raises(UnsafeURL, match="private"):
        check_url(f"http://[{address}]/feed", allow_private=False)


def test_6to4_around_a_public_ipv4_is_still_allowed():
    check_url("http://[2002:808:808::1]/feed", allow_private=False)


@pytest.mark.parametrize("location", [
    "http://127.0.0.1:80x/feed.xml",  # httpx.InvalidURL: bad port
    "http://exa\xa0mple.com/feed.xml",  # httpx.InvalidURL: bad IDNA host
    "http://[::1/feed.xml",  # ValueError from the URL parser: unclosed IPv6 literal
    "http://xn--/feed.xml",  # idna error: empty A-label
])
def test_malformed_redirect_location_is_a_recorded_fetch_error(db, topic, settings, feed_server,
                                                               feed_settings, location):
    url = feed_server.add("/moved.xml", Route(status=301, headers={"Location": location}))
    result = fetch(url, feed_settings)  # must return, not raise
    assert result.content is None
    assert result.error and "location" in result.error.lower()

    feed = feed_for(db, url)
    polled = poll(db, feed, settings)
    assert polled.status == FeedStatus.ERROR
    assert "location" in polled.error.lower()
    db.refresh(feed)
    assert feed.last_error == polled.error
