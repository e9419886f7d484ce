"""GET /ws/monitoring: the live stream for admins (header or first-message auth, Origin allow-list)."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from ipaddress import IPv4Address, IPv6Address
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from daemon import accounts
from daemon.accounts import Principal
from daemon.errors import Forbidden, ProblemError, TooManyRequests
from daemon.http.auth import lookup_principal
from daemon.http.endpoints import Endpoint
from daemon.monitoring.bus import DB_ERRORS
from daemon.monitoring.hub import CLOSE_GRACE, Client
from daemon.monitoring.settings import MonitoringSettings
from daemon.monitoring.snapshot import message
from daemon.monitoring.state import monitoring_state
from daemon.security.context import security_state
from daemon.security.middleware import client_ip_key

log = logging.getLogger(__name__)
PATH = "/ws/monitoring"
UNAUTHORIZED = 4401  # 4000–4999 are the application's; 4401 mirrors HTTP 401
TRY_AGAIN_LATER = 1013
MAX_MESSAGE = 16 * 1024


class UpgradeRequired(ProblemError):
    """A WebSocket endpoint called as plain HTTP."""

    status = 426
    title = "Upgrade Required"


class Unavailable(ProblemError):
    """Not now: the stream is full or shutting down, or nothing was collected yet."""

    status = 503
    title = "Service Unavailable"


def is_upgrade(request: web.Request) -> bool:
    """Whether the request asks to become a WebSocket."""
    return request.headers.get("Upgrade", "").strip().lower() == "websocket"


def check_origin(request: web.Request, settings: MonitoringSettings) -> None:
    """Browsers send Origin: it must be the daemon's own or on the allow-list; other clients send none."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    normal = origin.strip().rstrip("/").lower()
    allowed = settings.ws_allowed_origins
    if "*" in allowed or normal in allowed or urlsplit(normal).netloc == request.host.lower():
        return
    log.warning("ws origin refused origin=%s", origin[:100])
    raise Forbidden(f"origin {origin[:100]!r} may not open this stream")


async def _authenticate(request: web.Request, ws: web.WebSocketResponse) -> tuple[Principal, bytes] | None:
    """The admin behind the Authorization header, or behind the first message {"type":"auth","token":...}."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if not (scheme.lower() == "bearer" and secret.strip()):
        msg = await ws.receive()  # answers pings itself; the caller's deadline bounds the whole phase
        if msg.type is not WSMsgType.TEXT:
            return None
        secret = _token(msg.data)
    secret = secret.strip()
    if not secret:  # no key offered: not an attack (as on HTTP)
        return None
    principal = await lookup_principal(request.app, secret)
    security, ip = request.app[security_state], request.get(client_ip_key)
    ip = ip if isinstance(ip, IPv4Address | IPv6Address) else None
    if principal is None:  # counted like a bad key on HTTP: AUTH_FAILED, MULTIPLE_FAILED_AUTH, block
        await security.failed_auth(ip, request.method, PATH)
        return None
    if principal.role != "admin":
        await security.record(
            "UNAUTHORIZED_ACCESS",
            ip=ip,
            partner_id=principal.partner_id,
            method=request.method,
            route=PATH,
            location="role",
            details={"detail": "the monitoring stream needs an admin key"},
        )
        return None
    return principal, accounts.hash_key(secret)


async def _auth_phase(
    request: web.Request, ws: web.WebSocketResponse, seconds: float
) -> tuple[Principal, bytes] | None:
    """Authenticate within one deadline for the whole phase, or close the socket (4401 or 1013)."""
    # One deadline, not a receive timeout: aiohttp restarts that on every ping, so a client that pings
    # and never authenticates would hold its socket for as long as it likes (docs/failure-modes.md).
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            found = await _authenticate(request, ws)
    except DB_ERRORS as exc:
        if not deadline.expired():  # the key could not be checked: not the client's fault
            log.warning("ws key check failed error=%s", type(exc).__name__)
            await ws.close(code=TRY_AGAIN_LATER, message=b"try again later")
            return None
        found = None
    if found is None:
        await ws.close(code=UNAUTHORIZED, message=b"an admin API key is required")
    return found


def _token(text: str) -> str:
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):  # a message nested deep enough exhausts the parser's stack
        return ""
    if not isinstance(body, dict) or body.get("type") != "auth" or not isinstance(body.get("token"), str):
        return ""
    token: str = body["token"]
    return token


async def monitoring_ws(request: web.Request) -> web.StreamResponse:
    """Upgrade, authenticate, then stream snapshots, alert and energy events until either side closes."""
    state = request.app[monitoring_state]
    settings, hub = state.settings, state.hub
    if not is_upgrade(request):
        raise UpgradeRequired("this is a WebSocket endpoint: connect with Upgrade: websocket")
    check_origin(request, settings)
    ip, pending = request.get(client_ip_key), hub.pending
    retry = {"Retry-After": str(math.ceil(settings.ws_auth_timeout))}
    if len(hub.clients) + pending.total >= settings.ws_max_clients or hub.closing:
        raise Unavailable("the monitoring stream is not accepting connections now")
    if pending.total >= settings.ws_max_pending:
        raise Unavailable("too many monitoring streams are authenticating now; retry shortly", headers=retry)
    if pending.by_ip.get(ip, 0) >= settings.ws_max_pending_per_ip:
        raise TooManyRequests(
            "too many monitoring streams are authenticating from this address", headers=retry
        )
    pending.add(ip)
    # A close waits this long for the client's close frame (aiohttp's default: 10 s).
    ws = web.WebSocketResponse(heartbeat=settings.ws_heartbeat, max_msg_size=MAX_MESSAGE, timeout=CLOSE_GRACE)
    try:
        try:
            await ws.prepare(request)
            found = await _auth_phase(request, ws, settings.ws_auth_timeout)
        finally:
            pending.remove(ip)
        if found is not None:
            await _stream(request, ws, *found)
    finally:
        _disarm_heartbeat(ws)
    return ws


async def _stream(
    request: web.Request, ws: web.WebSocketResponse, principal: Principal, key_hash: bytes
) -> None:
    """Attach to the hub and answer the client's messages until the socket ends."""
    state = request.app[monitoring_state]
    settings, hub = state.settings, state.hub
    client = hub.attach(ws, request.transport, f"key:{principal.key_id}", key_hash)
    log.info("ws client connected key_id=%s clients=%d", principal.key_id, len(hub.clients))
    hub.send(
        client, message("hello", {"replica": state.replica, "interval_seconds": settings.collect_interval})
    )
    if state.current_message is not None:
        hub.send(client, state.current_message)
    try:
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                _answer(request, client, msg.data)
    finally:
        hub.detach(client)
        log.info("ws client disconnected key_id=%s", principal.key_id)


def _disarm_heartbeat(ws: web.WebSocketResponse) -> None:
    """Stop a closed socket's heartbeat timer, which would keep it (request, transport, buffers) alive.

    aiohttp 3.14 re-arms the heartbeat when data arrives after its own close frame went out (the
    client's close reply), so every closed socket stayed in memory (docs/failure-modes.md).
    """
    ws._heartbeat = None
    ws._cancel_heartbeat()


def _answer(request: web.Request, client: Client, text: str) -> None:
    state = request.app[monitoring_state]
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        body = text.strip()
    kind = body.get("type") if isinstance(body, dict) else body
    if kind == "get_metrics":
        if state.current_message is not None:
            state.hub.send(client, state.current_message)
        else:
            state.hub.send(client, message("error", {"detail": "no snapshot collected yet"}))
    elif kind == "ping":
        state.hub.send(client, message("pong", None))
    elif kind != "auth":  # a late auth message (header already used) is harmless
        state.hub.send(client, message("error", {"detail": 'unknown message; send {"type":"get_metrics"}'}))


def ws_endpoints() -> list[Endpoint]:
    """The stream's route: admin-only; upgrade requests authenticate in the handler."""
    return [
        Endpoint(
            "GET",
            PATH,
            monitoring_ws,
            "admin",
            "Live monitoring stream (WebSocket): metrics_update, alert and energy_state messages",
            "monitoring",
            status=101,
            errors=(426, 429, 503),
            websocket=True,
        )
    ]
