"""Synthetic pool figures for apps without a TRON node (replica and bench scenarios)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from tronpy.keys import PrivateKey

from daemon.energy import pools_repo
from daemon.energy.runtime import energy_runtime
from daemon.energy.snapshot import PoolView, assemble


async def publish_pools(url: str, apps: list[Any], available: list[int], limit: int = 10_000_000) -> None:
    """Create one pool per figure in the database and make every app's snapshot show them, fresh."""
    conn = await asyncpg.connect(url)
    try:
        views = []
        for n, room in enumerate(available):
            address = PrivateKey.random().public_key.to_base58check_address()
            row = await pools_repo.insert_pool(conn, f"fake-{n}", address, Decimal(1))
            assert row is not None
            views.append(
                PoolView(
                    id=row["id"],
                    name=row["name"],
                    wallet_address=address,
                    enabled=True,
                    target_trx=Decimal(1),
                    up=True,
                    status="active",
                    energy_limit=limit,
                    energy_used=limit - room,
                    window_slots=28_800,
                    last_scraped_at=datetime.now(UTC),
                    chain_time=datetime.now(UTC),
                )
            )
    finally:
        await conn.close()
    for app in apps:
        snap = assemble(
            views,
            thresholds=(0.9, 0.95, 0.98),
            stale_after=3600,
            transfer_energy=130_285,
            reserve_energy=0,
            energy_fee_sun=100,
            transaction_fee_sun=1000,
            quote=None,
            serial=1,
        )
        # local=True: the follower leaves a snapshot this replica "scraped" alone.
        app[energy_runtime].holder.publish(snap, local=True)
