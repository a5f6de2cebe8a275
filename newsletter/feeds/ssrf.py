"""Which addresses a feed fetch may reach.

Checked after DNS resolution, on every connection (so on every redirect hop too) and on the
address we actually connect to, so a DNS answer that changes between check and connect
(rebinding) cannot slip a private address through.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

import httpcore
import httpx

ALLOWED_SCHEMES = {"http", "https"}


class UnsafeURL(Exception):  # noqa: N818 - reads better at the raise sites
    """The URL's scheme or address is not one we fetch from."""


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, so a tunnel cannot hide a private host:
    IPv4-mapped (::ffff:a.b.c.d), 6to4 (2002::/16), Teredo (2001::/32: client and server),
    NAT64 (64:ff9b::/96) and the deprecated IPv4-compatible form (::a.b.c.d)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in NAT64 or (ip in IPV4_COMPATIBLE and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally reachable, and so is every IPv4 address tunnelled inside it."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local:  # fec0::/10: deprecated, but still routed inside some networks
            return False
        inner = embedded_ipv4(ip)
        if inner and not all(is_public(v4) for v4 in inner):
            return False
        if ip.ipv4_mapped is not None:
            return True
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
                or ip.is_multicast or ip.is_unspecified or not ip.is_global)


def check_scheme(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.hostname:
        raise UnsafeURL("Only http and https URLs can be fetched.")


def resolve(host: str, port: int, allow_private: bool) -> list[str]:
    """Every address of host, refusing the lot if any is not public (unless allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"Cannot resolve host {host!r}.") from exc
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if not allow_private and not is_public(ipaddress.ip_address(address)):
            raise UnsafeURL(f"Refusing to fetch from a private or reserved address ({address}).")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeURL(f"Cannot resolve host {host!r}.")
    return addresses


def check_url(url: str, allow_private: bool, *, resolve_host: bool = True) -> None:
    """Refuse a URL up front (used when a feed is added and before each redirect hop)."""
    check_scheme(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if not allow_private and not is_public(literal):
            raise UnsafeURL(f"Refusing to fetch from a private or reserved address ({host}).")
        return
    if resolve_host:
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise UnsafeURL("The URL has an invalid port.") from exc
        resolve(host, port, allow_private)


class GuardedBackend(httpcore.SyncBackend):
    """Resolve, check, then connect to the checked address itself (TLS still uses the name)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: object = None) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in resolve(host, port, self.allow_private):
            try:
                return super().connect_tcp(address, port, timeout, local_address,
                                           socket_options)  # type: ignore[arg-type]
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle costs ~50 ms: do it once per process, not once per poll."""
    return httpx.create_ssl_context()


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport on a connection pool whose every TCP connect goes through the guard."""

    def __init__(self, allow_private: bool, connections: int = 10) -> None:
        super().__init__(verify=ssl_context())
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context(),
            max_connections=max(10, connections),
            max_keepalive_connections=max(5, connections),
            network_backend=GuardedBackend(allow_private),
        )
