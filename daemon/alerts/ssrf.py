"""SSRF guard for outgoing URLs: https only and public addresses (docs/ssrf-and-escaping.md).

Three checks, each on what the connection really uses: `check_url` on the host as yarl normalises
it (IDNA: full-width digits and `。` become an IPv4 literal, which aiohttp connects to without
resolving), `GuardedResolver` on every name's A/AAAA records, and `guarded_socket` on the very
address each socket connects to (IP literals and DNS rebinding cannot get past it).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_V4_COMPATIBLE = ipaddress.ip_network("::/96")
_NUMBER = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")


class BlockedURL(ValueError):
    """The URL may not be called (scheme or address); permanent for the notification."""


def _embedded(addr: IP) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries on to (compatible, NAT64, 6to4, Teredo)."""
    if isinstance(addr, ipaddress.IPv4Address):
        return []
    out = [addr.sixtofour] if addr.sixtofour is not None else []
    if addr.teredo is not None:
        out += list(addr.teredo)
    if addr in _V4_COMPATIBLE or any(addr in net for net in _NAT64):
        out.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    return out


def public(ip: str) -> bool:
    """A globally routable unicast address, and so is every IPv4 address it embeds."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return public(str(addr.ipv4_mapped))  # ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket
    if isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT:
        return False  # CGNAT: cloud metadata lives here on some providers (100.100.100.200)
    return addr.is_global and not addr.is_multicast and all(public(str(a)) for a in _embedded(addr))


def looks_ipv4(host: str) -> bool:
    """Whether a URL parser would read `host` as an IPv4 address (its last label is a number)."""
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    return _NUMBER.fullmatch(labels[-1]) is not None


def canonical_ipv4(host: str) -> bool:
    """`a.b.c.d`: four decimal parts, no leading zeros (not 127.1, 0177.0.0.1, 2130706433, 1.2.3.4.)."""
    try:
        return str(ipaddress.IPv4Address(host)) == host
    except ValueError:
        return False


def target(url: str) -> tuple[str, str]:
    """(scheme, host) as the HTTP client will use them: the host IDNA-normalised, IPv6 unbracketed."""
    try:
        parsed = URL(url)
        host, _ = parsed.raw_host, parsed.port
    except (ValueError, TypeError):
        raise BlockedURL("receiver URL is not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not host:
        raise BlockedURL("receiver URL must be http(s)://host/...")
    return parsed.scheme, host


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse non-http(s) URLs and non-canonical IPv4 hosts; without allow_private also plain http,
    literal non-public addresses and localhost names."""
    scheme, host = target(url)
    if ":" not in host and looks_ipv4(host) and not canonical_ipv4(host):
        raise BlockedURL("receiver URL host is not a canonical IPv4 address (write it as a.b.c.d)")
    if allow_private:
        return
    if scheme != "https":
        raise BlockedURL("receiver URL must use https (or mark the receiver allow_private: true)")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        name = host.rstrip(".").lower()
        if name == "localhost" or name.endswith(".localhost"):
            raise BlockedURL("receiver URL points at a non-public address") from None
        return  # a name: checked by GuardedResolver and guarded_socket on every connection
    if not public(host):
        raise BlockedURL("receiver URL points at a non-public address")


class GuardedResolver(AbstractResolver):
    """Resolves through the default resolver, then refuses the host if any address is not public."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Every A/AAAA record must be public."""
        found = await self._inner.resolve(host, port, family)
        for info in found:
            if not public(info["host"]):
                raise BlockedURL(f"{host} resolves to a non-public address")
        return found

    async def close(self) -> None:
        """Close the inner resolver."""
        await self._inner.close()


def guarded_socket(addr_info: tuple[Any, ...]) -> socket.socket:
    """The socket for one connection attempt, refused unless the address it will connect to is public.

    aiohttp calls this for every address it tries, resolved or literal, right before connect():
    the peer is exactly this address, whatever a resolver said earlier.
    """
    family, type_, proto, _, address = addr_info
    if not public(str(address[0])):
        raise BlockedURL("receiver URL points at a non-public address")
    return socket.socket(family=family, type=type_, proto=proto)


def guarded_connector(**kwargs: Any) -> aiohttp.TCPConnector:
    """A connector that reaches public addresses only (resolver and socket both check)."""
    return aiohttp.TCPConnector(resolver=GuardedResolver(), socket_factory=guarded_socket, **kwargs)


def redact(url: str) -> str:
    """scheme://host only: webhook URLs carry secrets in their paths (logs never show them)."""
    try:
        parsed = URL(url)
        return f"{parsed.scheme}://{parsed.raw_host or ''}"
    except (ValueError, TypeError):
        return "?"
