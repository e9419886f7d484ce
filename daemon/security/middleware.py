"""Request pieces the access middleware uses (client IP, values to scan, events) and the withdrawal limit."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from daemon import accounts, keys
from daemon.errors import BadRequest
from daemon.http.body import MAX_JSON_DEPTH, parse_json
from daemon.security.context import IP, SecurityState, security_state
from daemon.security.scan import Finding, json_strings
from daemon.security.settings import IPNetwork, SecuritySettings

client_ip_key = web.RequestKey("client_ip", object)


@functools.lru_cache(maxsize=4096)  # peers repeat; ipaddress parsing was a tenth of a request's CPU
def parse_ip(text: str | None) -> IP | None:
    """An address (IPv4-mapped IPv6 as IPv4), or None when it is not one."""
    if not text:
        return None
    try:
        ip = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def client_ip(peer: str | None, forwarded: Sequence[str], trusted: Sequence[IPNetwork]) -> IP | None:
    """The peer, or behind trusted proxies the nearest untrusted X-Forwarded-For hop."""
    ip = parse_ip(peer)
    if ip is None or not trusted or not any(ip in net for net in trusted):
        return ip
    hops = [hop for value in forwarded for hop in value.split(",")]
    for hop in reversed(hops[-32:]):
        parsed = parse_ip(hop)
        if parsed is None:
            break  # garbage: believe no further; the last trusted hop is what we know
        ip = parsed
        if not any(parsed in net for net in trusted):
            break
    return ip


def route_name(request: web.Request) -> str:
    """The route template of the request ("unmatched" when none)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def head_values(request: web.Request, cfg: SecuritySettings) -> list[tuple[str, str]]:
    """(location, value) pairs to scan outside the body: path, query, selected headers."""
    out = [("path", request.raw_path)]
    if request.raw_path != request.path:
        out.append(("path", request.path))
    if request.query_string:
        out += [(f"query:{k[:64]}", v) for k, v in request.query.items()]
        out += [(f"query:{k[:64]}", k) for k in request.query]
    headers = request.headers
    out += [(f"header:{h}", headers[h]) for h in cfg.scan_headers if h in headers]
    return out


def scans_body(request: web.Request, cfg: SecuritySettings) -> bool:
    """Whether the body is JSON small enough to scan."""
    # What is scanned is what the handler stores: the parsed values, however much whitespace pads
    # the raw body, and chunked bodies (no Content-Length) too; read() stops at client_max_size.
    if not request.body_exists:
        return False
    length = request.content_length
    ctype = request.content_type
    return (
        length is None
        or 0 < length <= min(cfg.max_scan_body_bytes, request.app[keys.settings].server.max_body_bytes)
    ) and (ctype == "application/json" or ctype.endswith("+json"))


async def body_values(request: web.Request) -> list[tuple[str, str]]:
    """(location, value) for every JSON string in the body, which is parsed once for the handler too."""
    raw = await request.read()  # aiohttp keeps it: the handler reads the same bytes
    try:
        body = request[keys.parsed_body] = parse_json(raw)
    except BadRequest:
        return []  # the handler answers 400 (after auth: a request without a key gets 401)
    return list(json_strings(body, max_depth=MAX_JSON_DEPTH))


def partner_hint(request: web.Request) -> int | None:
    """The partner behind the request's key when it is known without a query."""
    principal = request.get(keys.principal)
    if principal is None:  # not authenticated yet (block mode): a cached key lookup, never a query
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and secret.strip():
            principal = request.app[keys.key_cache].get(accounts.hash_key(secret.strip()))[1]
    return principal.partner_id if principal is not None else None


async def record_findings(
    state: SecurityState, request: web.Request, ip: IP | None, findings: list[Finding]
) -> None:
    """One event per finding of the scan."""
    for f in findings:
        details = {
            "pattern": f.pattern,
            "location": f.location,
            "excerpt": f.excerpt,
            "blocked": state.settings.block,
        }
        await state.record(
            f.type,
            ip=ip,
            partner_id=partner_hint(request),
            method=request.method,
            route=route_name(request),
            location=f.location,
            details=details,
        )


async def limit_withdrawal(
    request: web.Request,
    partner_id: int,
    user_id: str,
    retry: Callable[[], Awaitable[bool]] | None = None,
) -> None:
    """The `withdrawal` limit per end user of a partner (queue and emergency creation); a `retry` passes.

    Without the database it refuses (503): no withdrawal is created past a limit nobody counted.
    """
    ip = request.get(client_ip_key)
    await request.app[security_state].limit(
        "withdrawal",
        f"{partner_id}:{user_id}",
        ip=ip if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address) else None,
        partner_id=partner_id,
        method=request.method,
        route=route_name(request),
        exempt=retry,
        fail_closed=True,
    )
