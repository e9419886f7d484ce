"""Registering and managing pools: validated on chain, duplicates refused, config pools read-only."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from daemon.db.types import Connection, Record
from daemon.energy import pools_repo as repo
from daemon.errors import Conflict, NotFound, ProblemError, ValidationFailed
from daemon.tron.client import TronClient
from daemon.tron.errors import TronApiError, TronError


class NodeUnavailable(ProblemError):
    """The TRON node did not answer, so the request could not be checked; retry later."""

    status = 503
    title = "Service Unavailable"


async def create_pool(
    conn: Connection, tron: TronClient | None, *, address: str, target_trx: Decimal, name: str | None
) -> Record:
    """Insert a pool whose account exists on chain; 409 when the address or name is taken."""
    name = name or address
    clash = await repo.find_clash(conn, name, address)
    if clash is not None:
        what = "wallet_address" if clash["wallet_address"] == address else "name"
        raise Conflict(f"pool {clash['id']} already has this {what}", field=what)
    if tron is None:
        raise ValidationFailed(
            "cannot check the account on chain: no TRON network is configured", field="wallet_address"
        )
    try:
        account = await tron.get_account(address)
    except TronApiError as exc:
        raise NodeUnavailable(f"the TRON node refused the account lookup: {exc}") from exc
    except (TronError, TimeoutError, OSError) as exc:
        raise NodeUnavailable(
            "the TRON node is unreachable; retry later", headers={"Retry-After": "5"}
        ) from exc
    if account is None:
        raise ValidationFailed(f"account {address} does not exist on chain", field="wallet_address")
    row = await repo.insert_pool(conn, name, address, target_trx)
    if row is None:  # lost a race with a concurrent create
        raise Conflict("a pool with this wallet_address or name was just created", field="wallet_address")
    return row


async def _own(conn: Connection, pool_id: int) -> Record:
    row = await repo.get_pool(conn, pool_id)
    if row is None:
        raise NotFound(f"energy pool {pool_id} does not exist")
    if row["source"] == "config":
        raise Conflict(f"energy pool {pool_id} is declared in the config file; change it there")
    return row


async def update_pool(
    conn: Connection, pool_id: int, *, name: str | None, target_trx: Decimal | None, enabled: bool | None
) -> Record:
    """Rename, retarget, enable or disable an API-managed pool."""
    await _own(conn, pool_id)
    try:
        row = await repo.update_pool(conn, pool_id, name=name, target_trx=target_trx, enabled=enabled)
    except asyncpg.UniqueViolationError as exc:
        raise Conflict("another pool already has this name", field="name") from exc
    if row is None:
        raise NotFound(f"energy pool {pool_id} does not exist")
    return row


async def delete_pool(conn: Connection, pool_id: int) -> Record:
    """Delete an API-managed pool with its state and history."""
    await _own(conn, pool_id)
    row = await repo.delete_pool(conn, pool_id)
    if row is None:
        raise NotFound(f"energy pool {pool_id} does not exist")
    return row
