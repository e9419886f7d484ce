"""Security middlewares: scan requests, track bad keys and blocks (outside auth), rate-limit keys (inside)."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Awaitable, Callable, Iterator, Sequence

from aiohttp import web

from daemon import accounts, keys
from daemon.errors import BadRequest, Forbidden, ProblemError, TooManyRequests, Unauthorized
from daemon.http.body import MAX_JSON_DEPTH, parse_json
from daemon.http.endpoints import Handler
from daemon.observability import profiler
from daemon.observability.profiling import profiler_key
from daemon.security.context import IP, SecurityState, security_state
from daemon.security.scan import Finding, json_strings, scan
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


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


async def _values(request: web.Request, cfg: SecuritySettings) -> Iterator[tuple[str, str]]:
    """(location, value) pairs to scan: path, query, selected headers, JSON string values."""
    out = [("path", request.raw_path)]
    if request.raw_path != request.path:
        out.append(("path", request.path))
    if request.query_string:
        out += [(f"query:{k[:64]}", v) for k, v in request.query.items()]
        out += [(f"query:{k[:64]}", k) for k in request.query]
    headers = request.headers
    out += [(f"header:{h}", headers[h]) for h in cfg.scan_headers if h in headers]
    length = request.content_length
    ctype = request.content_type
    # What is scanned is what the handler stores: the parsed values, however much whitespace pads
    # the raw body, and chunked bodies (no Content-Length) too; read() stops at client_max_size.
    if (
        request.body_exists
        and (
            length is None
            or 0 < length <= min(cfg.max_scan_body_bytes, request.app[keys.settings].server.max_body_bytes)
        )
        and (ctype == "application/json" or ctype.endswith("+json"))
    ):
        raw = await request.read()  # aiohttp keeps it: the handler reads the same bytes
        try:
            body = request[keys.parsed_body] = parse_json(raw)
        except BadRequest:
            body = None  # the handler answers 400 (after auth: a request without a key gets 401)
        return iter(out + list(json_strings(body, max_depth=MAX_JSON_DEPTH)))
    return iter(out)


def _partner_hint(request: web.Request) -> int | None:
    principal = request.get(keys.principal)
    if principal is None:  # not authenticated yet (block mode): a cached key lookup, never a query
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and secret.strip():
            principal = request.app[keys.key_cache].get(accounts.hash_key(secret.strip()))[1]
    return principal.partner_id if principal is not None else None


async def _record(state: SecurityState, request: web.Request, ip: IP | None, findings: list[Finding]) -> None:
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
            partner_id=_partner_hint(request),
            method=request.method,
            route=_route(request),
            location=f.location,
            details=details,
        )


@web.middleware
async def security_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Scan (record; 403 in block mode), refuse blocked IPs on keyed routes, and note auth failures."""
    app = request.app
    state = app[security_state]
    profiler.current.set(app[profiler_key])  # this request's operations go to this app's profiler
    cfg = state.settings
    forwarded = request.headers.getall("X-Forwarded-For", ()) if cfg.trusted_proxies else ()
    ip = client_ip(request.remote, forwarded, cfg.trusted_proxies)
    request[client_ip_key] = ip
    findings: list[Finding] = []
    if cfg.scan_enabled:
        findings = scan(
            await _values(request, cfg), max_length=cfg.max_value_length, max_values=cfg.max_values
        )
        if findings and cfg.block:
            await _record(state, request, ip, findings)
            f = findings[0]
            raise Forbidden(f"request refused: {f.type.lower()} pattern in {f.location}")
    try:
        if state.blocks and (wait := state.blocked_for(ip)) > 0:
            endpoint = app[keys.endpoints].get(request.match_info.route)
            if endpoint is not None and endpoint.access != "public":
                state.metrics.rate_limited.labels("failed_auth_block").inc()
                raise TooManyRequests(
                    "too many failed authentications from this address; retry later",
                    headers={"Retry-After": str(max(1, round(wait)))},
                )
        return await handler(request)
    except Unauthorized:
        if (
            "Authorization" in request.headers
        ):  # a key was offered and refused; a missing key is not an attack
            await state.failed_auth(ip, request.method, _route(request))
        raise
    except ProblemError as exc:
        if exc.status == 403:
            await state.record(
                "UNAUTHORIZED_ACCESS",
                ip=ip,
                partner_id=_partner_hint(request),
                method=request.method,
                route=_route(request),
                location="role",
                details={"detail": exc.detail},
            )
        raise
    finally:
        if findings:
            await _record(state, request, ip, findings)


@web.middleware
async def ratelimit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The `api_call` limit per API key (after auth: only authenticated requests count)."""
    principal = request.get(keys.principal)
    if principal is not None:
        ip = request.get(client_ip_key)
        await request.app[security_state].limit(
            "api_call",
            f"key:{principal.key_id}",
            ip=ip if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address) else None,
            partner_id=principal.partner_id,
            method=request.method,
            route=_route(request),
        )
    return await handler(request)


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
        route=_route(request),
        exempt=retry,
        fail_closed=True,
    )
