"""Admin API: partners and their API keys; `/api/v1/me` for any key."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from daemon import accounts, keys
from daemon.accounts import Principal
from daemon.db import accounts_repo as repo
from daemon.db.types import Connection
from daemon.errors import NotFound
from daemon.http.body import RequestModel, read_json, read_query
from daemon.http.endpoints import Endpoint, json_response, path_id
from daemon.http.idempotency import idempotent

API = "/api/v1"


class PartnerCreate(RequestModel):
    """A new B2B partner."""

    name: str = Field(min_length=1, max_length=100)
    contact_email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Partner(BaseModel):
    """A B2B partner."""

    id: int
    name: str
    contact_email: str | None
    created_at: datetime


class PartnerPage(BaseModel):
    """One page of partners; pass next_cursor as `after` for the next."""

    items: list[Partner]
    next_cursor: str | None


class PageQuery(RequestModel):
    """Cursor paging."""

    limit: int = Field(50, ge=1, le=100)
    after: int = Field(0, ge=0, lt=2**63)


class KeyCreate(RequestModel):
    """A new partner key."""

    label: str | None = Field(None, max_length=100)


class ApiKey(BaseModel):
    """An API key's record (never the secret)."""

    id: int
    prefix: str
    role: Literal["partner", "admin"]
    partner_id: int | None
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class CreatedKey(ApiKey):
    """A new key: `key` is shown only in this response (null when replayed by Idempotency-Key)."""

    key: str | None


class KeyList(BaseModel):
    """Every API key."""

    items: list[ApiKey]


class Me(BaseModel):
    """Who this key acts as."""

    key_id: int
    role: Literal["partner", "admin"]
    partner_id: int | None


async def create_partner(request: web.Request) -> web.Response:
    """Create a partner."""
    body = await read_json(request, PartnerCreate)

    async def work(conn: Connection) -> tuple[int, BaseModel]:
        return 201, Partner(**await accounts.create_partner(conn, body.name, body.contact_email))

    return await idempotent(request, work)


async def list_partners(request: web.Request) -> web.Response:
    """Partners in creation order."""
    query = read_query(request, PageQuery)
    async with request.app[keys.runtime].pool.acquire() as conn:
        rows = await repo.list_partners(conn, after_id=query.after, limit=query.limit + 1)
    items = [Partner(**dict(r)) for r in rows[: query.limit]]
    cursor = str(items[-1].id) if len(rows) > query.limit else None
    return json_response(PartnerPage(items=items, next_cursor=cursor))


async def get_partner(request: web.Request) -> web.Response:
    """One partner."""
    partner_id = path_id(request)
    async with request.app[keys.runtime].pool.acquire() as conn:
        row = await repo.get_partner(conn, partner_id)
    if row is None:
        raise NotFound(f"partner {partner_id} does not exist")
    return json_response(Partner(**dict(row)))


async def create_partner_key(request: web.Request) -> web.Response:
    """Make an API key for a partner; the secret is in this response only."""
    partner_id = path_id(request)
    body = await read_json(request, KeyCreate)

    async def work(conn: Connection) -> tuple[int, BaseModel]:
        new = await accounts.create_key(conn, role="partner", partner_id=partner_id, label=body.label)
        return 201, CreatedKey(**new.record, key=new.secret)

    return await idempotent(request, work, redact=frozenset({"key"}))


async def list_keys(request: web.Request) -> web.Response:
    """Every API key (prefixes only)."""
    async with request.app[keys.runtime].pool.acquire() as conn:
        rows = await repo.list_keys(conn)
    return json_response(KeyList(items=[ApiKey(**dict(r)) for r in rows]))


async def revoke_key(request: web.Request) -> web.Response:
    """Revoke a key; it stops working at once here and within the cache TTL on other replicas."""
    key_id = path_id(request)
    async with request.app[keys.runtime].pool.acquire() as conn:
        record = await accounts.revoke_key(conn, key_id)
    request.app[keys.key_cache].evict_key(key_id)
    return json_response(ApiKey(**record))


@functools.lru_cache(maxsize=1024)
def _me_body(p: Principal) -> bytes:
    """A key's answer is the same on every call: made once per principal."""
    return Me(key_id=p.key_id, role=p.role, partner_id=p.partner_id).model_dump_json().encode()


async def me(request: web.Request) -> web.Response:
    """The caller's own identity."""
    body = _me_body(request[keys.principal])
    return web.Response(body=body, content_type="application/json", charset="utf-8")


def admin_endpoints() -> list[Endpoint]:
    """Partner and key management."""
    return [
        Endpoint("GET", f"{API}/me", me, "any_key", "Who this key acts as", "auth", response=Me),
        Endpoint(
            "POST",
            f"{API}/admin/partners",
            create_partner,
            "admin",
            "Create a partner",
            "admin",
            body=PartnerCreate,
            response=Partner,
            status=201,
            idempotent=True,
            errors=(409,),
        ),
        Endpoint(
            "GET",
            f"{API}/admin/partners",
            list_partners,
            "admin",
            "List partners",
            "admin",
            query=PageQuery,
            response=PartnerPage,
        ),
        Endpoint(
            "GET",
            f"{API}/admin/partners/{{id}}",
            get_partner,
            "admin",
            "One partner",
            "admin",
            response=Partner,
        ),
        Endpoint(
            "POST",
            f"{API}/admin/partners/{{id}}/keys",
            create_partner_key,
            "admin",
            "Create an API key for a partner",
            "admin",
            body=KeyCreate,
            response=CreatedKey,
            status=201,
            idempotent=True,
        ),
        Endpoint("GET", f"{API}/admin/keys", list_keys, "admin", "List API keys", "admin", response=KeyList),
        Endpoint(
            "DELETE",
            f"{API}/admin/keys/{{id}}",
            revoke_key,
            "admin",
            "Revoke an API key",
            "admin",
            response=ApiKey,
        ),
    ]
