"""One access middleware: scan, IP blocks, the key and its role, the per-key limit, in one frame per request.

It replaces three middlewares (security, auth, rate limit) that each looked the route up again; what
a route needs is decided once per route and kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from daemon import keys
from daemon.errors import Forbidden, ProblemError, TooManyRequests, Unauthorized
from daemon.http.auth import authenticate
from daemon.http.endpoints import Access, Endpoint, Handler
from daemon.observability import profiler
from daemon.observability.profiling import profiler_key
from daemon.security.context import security_state
from daemon.security.middleware import (
    body_values,
    client_ip,
    client_ip_key,
    head_values,
    partner_hint,
    record_findings,
    route_name,
    scans_body,
)
from daemon.security.scan import Finding, scan


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """What one route needs: a key (and which role), whether it is a WebSocket, its template."""

    keyed: bool
    access: Access
    websocket: bool
    route: str


UNMATCHED = RoutePlan(keyed=False, access="public", websocket=False, route="unmatched")


def plan_for(route: web.AbstractRoute, endpoints: dict[web.AbstractRoute, Endpoint]) -> RoutePlan:
    """The plan of a declared route; unmatched and undeclared routes are public."""
    endpoint = endpoints.get(route)
    if endpoint is None:
        return UNMATCHED
    resource = route.resource
    return RoutePlan(
        keyed=endpoint.access != "public",
        access=endpoint.access,
        websocket=endpoint.websocket,
        route=resource.canonical if resource is not None else "unmatched",
    )


def access_middleware() -> Middleware:
    """The middleware of one app, with its own table of route plans."""
    plans: dict[web.AbstractRoute, RoutePlan] = {}

    @web.middleware
    async def access(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Scan (403 in block mode), refuse blocked IPs, 401/403 by key and role, 429 past the limit."""
        app = request.app
        state = app[security_state]
        profiler.current.set(app[profiler_key])  # this request's operations go to this app's profiler
        cfg = state.settings
        forwarded = request.headers.getall("X-Forwarded-For", ()) if cfg.trusted_proxies else ()
        ip = client_ip(request.remote, forwarded, cfg.trusted_proxies)
        request[client_ip_key] = ip
        route = request.match_info.route
        plan = plans.get(route)
        if plan is None:
            plan = plan_for(route, app[keys.endpoints])
            if plan is not UNMATCHED:  # each unmatched request has a route object of its own
                plans[route] = plan
        findings: list[Finding] = []
        if cfg.scan_enabled:
            values = head_values(request, cfg)
            if scans_body(request, cfg):
                values += await body_values(request)
            findings = scan(values, max_length=cfg.max_value_length, max_values=cfg.max_values)
            if findings and cfg.block:
                await record_findings(state, request, ip, findings)
                f = findings[0]
                raise Forbidden(f"request refused: {f.type.lower()} pattern in {f.location}")
        try:
            if not plan.keyed:
                return await handler(request)
            if state.blocks and (wait := state.blocked_for(ip)) > 0:
                state.metrics.rate_limited.labels("failed_auth_block").inc()
                raise TooManyRequests(
                    "too many failed authentications from this address; retry later",
                    headers={"Retry-After": str(max(1, round(wait)))},
                )
            if plan.websocket and request.headers.get("Upgrade", "").strip().lower() == "websocket":
                return await handler(request)  # browsers cannot send headers: the handler authenticates
            principal = await authenticate(request, plan.access)
            request[keys.principal] = principal
            if cfg.rate_limits.api_call.enabled:  # only authenticated requests count
                await state.limit(
                    "api_call",
                    f"key:{principal.key_id}",
                    ip=ip,
                    partner_id=principal.partner_id,
                    method=request.method,
                    route=plan.route,
                )
            return await handler(request)
        except Unauthorized:
            # A key was offered and refused; a missing key is not an attack.
            if "Authorization" in request.headers:
                await state.failed_auth(ip, request.method, route_name(request))
            raise
        except ProblemError as exc:
            if exc.status == 403:
                await state.record(
                    "UNAUTHORIZED_ACCESS",
                    ip=ip,
                    partner_id=partner_hint(request),
                    method=request.method,
                    route=route_name(request),
                    location="role",
                    details={"detail": exc.detail},
                )
            raise
        finally:
            if findings:
                await record_findings(state, request, ip, findings)

    return access
