"""Bearer-key authentication with a short cache that still honours revocation."""

from __future__ import annotations

from aiohttp import web

from daemon import accounts, keys
from daemon.accounts import Principal
from daemon.errors import Forbidden, Unauthorized
from daemon.http.endpoints import Access

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tronwatch"'}


async def lookup_principal(app: web.Application, secret: str) -> Principal | None:
    """The principal of a live key (cached briefly), or None."""
    key_hash = accounts.hash_key(secret)
    hit, principal = app[keys.key_cache].get(key_hash)
    return principal if hit else await _load_principal(app, secret, key_hash)


async def _load_principal(app: web.Application, secret: str, key_hash: bytes) -> Principal | None:
    """The database's answer for a key the cache does not hold, remembered."""
    cache = app[keys.key_cache]
    async with app[keys.runtime].pool.acquire() as conn:
        principal = await accounts.authenticate(conn, secret)
    cache.put(key_hash, principal)
    return principal


async def authenticate(request: web.Request, access: Access) -> Principal:
    """The caller's principal for a keyed route: 401 without a live key, 403 with the wrong role."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if not secret or scheme.lower() != "bearer":
        raise Unauthorized("an API key is required: Authorization: Bearer <key>", headers=_CHALLENGE)
    # A cached key is answered without awaiting another coroutine: most requests carry one.
    key_hash = accounts.hash_key(secret)
    hit, principal = request.app[keys.key_cache].get(key_hash)
    if not hit:
        principal = await _load_principal(request.app, secret, key_hash)
    if principal is None:
        raise Unauthorized("the API key is invalid or revoked", headers=_CHALLENGE)
    if access != "any_key" and principal.role != access:
        raise Forbidden(f"this endpoint needs a {access} key")
    return principal
