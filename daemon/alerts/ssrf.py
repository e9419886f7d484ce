"""SSRF guard for receiver URLs: https only and public addresses, pinned at connect time (alerting.md §5)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class BlockedURL(ValueError):
    """The URL may not be called (scheme or address); permanent for the notification."""


def public(ip: str) -> bool:
    """A globally routable unicast address (IPv4-mapped IPv6 unwrapped first)."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if isinstance(addr, ipaddress.IPv4Address) and addr in ipaddress.ip_network("100.64.0.0/10"):
        return False  # CGNAT: cloud metadata lives here on some providers (100.100.100.200)
    return addr.is_global and not addr.is_multicast


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse non-http(s) URLs; without allow_private also plain http and literal non-public hosts."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedURL("receiver URL must be http(s)://host/...")
    if allow_private:
        return
    if parts.scheme != "https":
        raise BlockedURL("receiver URL must use https (or mark the receiver allow_private: true)")
    try:
        ipaddress.ip_address(parts.hostname)
    except ValueError:
        return  # a name: checked by GuardedResolver on every connection
    if not public(parts.hostname):
        raise BlockedURL("receiver URL points at a non-public address")


class GuardedResolver(AbstractResolver):
    """Resolves through the default resolver, then refuses the host if any address is not public."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Every A/AAAA record must be public; aiohttp then connects to exactly these (no rebinding)."""
        found = await self._inner.resolve(host, port, family)
        for info in found:
            if not public(info["host"]):
                raise BlockedURL(f"{host} resolves to a non-public address")
        return found

    async def close(self) -> None:
        """Close the inner resolver."""
        await self._inner.close()


def redact(url: str) -> str:
    """scheme://host only: webhook URLs carry secrets in their paths (DESIGN "Code conventions": logs)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}"
