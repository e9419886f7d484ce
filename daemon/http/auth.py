"""Bearer-key authentication with a short cache that still honours revocation."""

from __future__ import annotations

from aiohttp import web

from daemon import accounts, keys
from daemon.accounts import Principal
from daemon.errors import Forbidden, Unauthorized
from daemon.http.endpoints import Handler

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tronwatch"'}


async def lookup_principal(app: web.Application, secret: str) -> Principal | None:
    """The principal of a live key (cached briefly), or None."""
    cache = app[keys.key_cache]
    key_hash = accounts.hash_key(secret)
    hit, principal = cache.get(key_hash)
    if hit:
        return principal
    async with app[keys.runtime].pool.acquire() as conn:
        principal = await accounts.authenticate(conn, secret)
    cache.put(key_hash, principal)
    return principal


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """401 without a live key, 403 with the wrong role; public and unmatched routes pass."""
    endpoint = request.app[keys.endpoints].get(request.match_info.route)
    if endpoint is None or endpoint.access == "public":
        return await handler(request)
    if endpoint.websocket and request.headers.get("Upgrade", "").strip().lower() == "websocket":
        return await handler(request)  # browsers cannot send headers: the handler authenticates
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("an API key is required: Authorization: Bearer <key>", headers=_CHALLENGE)
    principal = await lookup_principal(request.app, secret.strip())
    if principal is None:
        raise Unauthorized("the API key is invalid or revoked", headers=_CHALLENGE)
    if endpoint.access != "any_key" and principal.role != endpoint.access:
        raise Forbidden(f"this endpoint needs a {endpoint.access} key")
    request[keys.principal] = principal
    return await handler(request)
