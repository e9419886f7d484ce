"""Shared by the withdrawal benches: the app with the withdrawals package, and synthetic pool figures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry
from served import NO_RATE_LIMITS
from tronpy.keys import PrivateKey

from daemon.app import create_app
from daemon.config import load_settings
from daemon.energy import pools_repo
from daemon.energy.runtime import energy_runtime
from daemon.energy.snapshot import PoolView, assemble

POOL_MAX = 10


def build_app(database_url: str, data_dir: Path, **withdrawals: Any) -> web.Application:
    """The app with these withdrawal settings (no TRON node)."""
    settings = load_settings(
        None,
        environ={},
        overrides={
            "database": {"url": database_url, "run_migrations": False, "pool_max": POOL_MAX},
            "data_dir": str(data_dir),
            "withdrawals": withdrawals,
            "security": NO_RATE_LIMITS,
        },
    )
    return create_app(settings, database_url=database_url, registry=CollectorRegistry())


async def publish_pools(url: str, app: web.Application, available: list[int], limit: int) -> None:
    """Pools in the database and, fresh, in the app's snapshot (as if just scraped)."""
    conn = await asyncpg.connect(url)
    views = []
    try:
        for n, room in enumerate(available):
            address = PrivateKey.random().public_key.to_base58check_address()
            row = await pools_repo.insert_pool(conn, f"bench-{n}", address, Decimal(1))
            now = datetime.now(UTC)
            views.append(
                PoolView(
                    row["id"], row["name"], address, True, Decimal(1), True, "active",
                    energy_limit=limit, energy_used=limit - room, window_slots=28_800,
                    last_scraped_at=now, chain_time=now,
                )
            )  # fmt: skip
    finally:
        await conn.close()
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
    energy = app[energy_runtime]
    assert energy is not None
    energy.holder.publish(snap, local=True)
