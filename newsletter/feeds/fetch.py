"""HTTP fetch of one feed: timeouts, a streamed size cap, checked redirects, conditional GET.

Never raises for network trouble: the outcome is a FetchResult the service records, so a
broken feed is written down on the Feed and the job carries on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from .settings import FeedSettings
from .ssrf import GuardedTransport, UnsafeURL, check_url

REDIRECTS = {301, 302, 303, 307, 308}


@dataclass
class FetchResult:
    """What came back. `error` is set for every outcome that is not 200 or 304."""

    status_code: int | None = None
    content: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    retry_after: int | None = None
    error: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304

    @property
    def gone(self) -> bool:
        return self.status_code == 410


class TooLarge(Exception):  # noqa: N818
    pass


class TooSlow(Exception):  # noqa: N818
    pass


class BadLocation(Exception):  # noqa: N818
    """A redirect's Location that no URL parser can use."""


def redirect_target(current: str, location: str) -> str:
    """The absolute URL a Location header points to, checked the way httpx will read it.

    urljoin raises ValueError (an unclosed IPv6 literal), httpx.URL raises InvalidURL (a bad
    port, a non-printable character) or an IDNA error (a bad host label): each one becomes
    BadLocation so the fetch records it like any other broken feed.
    """
    try:
        target = urljoin(current, location)
        httpx.URL(target)
    except (httpx.InvalidURL, ValueError) as exc:
        raise BadLocation(str(exc) or type(exc).__name__) from exc
    return target


def retry_after_seconds(value: str | None, now: datetime | None = None) -> int | None:
    """Retry-After is either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, int((when - (now or datetime.now(UTC))).total_seconds()))


class HostSlots:
    """At most `per_host` fetches at once to one host across the threads of a poll job, so
    fetching many feeds concurrently never hammers a publisher that hosts several of them.

    Keyed by the feed URL's host name; a redirect hop counts against the host it started at.
    """

    def __init__(self, per_host: int) -> None:
        self.per_host = max(1, per_host)
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    @staticmethod
    def host(url: str) -> str:
        try:
            return (urlsplit(url).hostname or "").lower()
        except ValueError:  # an unclosed IPv6 literal: the fetch records the error itself
            return url

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        key = self.host(url)
        with self._lock:
            semaphore = self._slots.setdefault(key, threading.BoundedSemaphore(self.per_host))
        with semaphore:
            yield


def make_client(settings: FeedSettings) -> httpx.Client:
    """One client per poll run; trust_env=False so a proxy variable cannot bypass the guard."""
    return httpx.Client(
        transport=GuardedTransport(settings.allow_private, settings.concurrency + 2),
        timeout=httpx.Timeout(connect=settings.connect_timeout, read=settings.read_timeout,
                              write=settings.read_timeout, pool=settings.connect_timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": settings.user_agent,
                 "Accept": "application/rss+xml, application/atom+xml, application/rdf+xml, "
                           "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
                 "Accept-Encoding": "gzip, deflate"},
    )


def _read_capped(response: httpx.Response, settings: FeedSettings, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > settings.max_bytes:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > settings.max_bytes:
            raise TooLarge
        if time.monotonic() > deadline:
            raise TooSlow
        chunks.append(chunk)
    return b"".join(chunks)


def fetch(url: str, settings: FeedSettings, *, etag: str | None = None,
          last_modified: str | None = None, client: httpx.Client | None = None) -> FetchResult:
    """GET url politely; follow at most max_redirects hops, checking each one before connecting."""
    own = client is None
    client = client or make_client(settings)
    deadline = time.monotonic() + settings.total_timeout
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    seen: set[str] = set()
    current = url
    try:
        for _hop in range(settings.max_redirects + 1):
            try:
                check_url(current, settings.allow_private)
                httpx.URL(current)
            except UnsafeURL as exc:
                return FetchResult(error=str(exc), final_url=current)
            except (httpx.InvalidURL, ValueError) as exc:
                return FetchResult(error=f"Invalid URL: {exc}"[:500], final_url=current)
            seen.add(current)
            try:
                with client.stream("GET", current, headers=headers) as response:
                    status = response.status_code
                    if status in REDIRECTS:
                        location = response.headers.get("Location")
                        if not location:
                            return FetchResult(status_code=status, final_url=current,
                                               error=f"HTTP {status} without a Location header.")
                        try:
                            target = redirect_target(current, location)
                        except BadLocation as exc:
                            return FetchResult(status_code=status, final_url=current,
                                               error=f"HTTP {status} redirect to a malformed "
                                                     f"Location: {exc}"[:500])
                        if target in seen:
                            return FetchResult(status_code=status, final_url=current,
                                               error="Redirect loop.")
                        current = target
                        continue
                    result = FetchResult(
                        status_code=status, final_url=current,
                        content_type=response.headers.get("Content-Type"),
                        etag=response.headers.get("ETag"),
                        last_modified=response.headers.get("Last-Modified"),
                    )
                    if status == 304:
                        return result
                    if status == 200:
                        result.content = _read_capped(response, settings, deadline)
                        return result
                    result.retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                    result.error = _status_error(status, result.retry_after)
                    return result
            except UnsafeURL as exc:
                return FetchResult(error=str(exc), final_url=current)
            except TooLarge:
                return FetchResult(status_code=200, final_url=current,
                                   error=f"Response larger than {settings.max_bytes} bytes.")
            except TooSlow:
                return FetchResult(status_code=200, final_url=current,
                                   error=f"Response took longer than {settings.total_timeout:g} s.")
            except (httpx.InvalidURL, ValueError) as exc:
                # current was checked above, so this is httpx reading a redirect's Location
                # (it builds the next request even with follow_redirects off)
                return FetchResult(final_url=current, error=f"Redirect to a malformed "
                                                            f"Location: {exc}"[:500])
            except httpx.TimeoutException as exc:
                return FetchResult(final_url=current, error=f"Timed out ({type(exc).__name__}).")
            except httpx.HTTPError as exc:
                return FetchResult(final_url=current,
                                   error=f"Could not fetch: {type(exc).__name__}: {exc}"[:500])
        return FetchResult(final_url=current,
                           error=f"More than {settings.max_redirects} redirects.")
    finally:
        if own:
            client.close()


def _status_error(status: int, retry_after: int | None) -> str:
    if status == 410:
        return "HTTP 410 Gone: the publisher removed this feed."
    if status in (429, 503):
        wait = f"; asked to wait {retry_after} s" if retry_after is not None else ""
        return f"HTTP {status}{wait}."
    return f"HTTP {status}."
