"""The fee quote's 130,285 fallback, and snapshot retention with thinning of old history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from daemon import keys as app_keys
from daemon.energy import pools_repo as repo
from daemon.energy.context import Persister
from daemon.energy.quote import quote_usdt_transfer
from daemon.energy.runtime import energy_runtime
from tests.conftest import Keys, bearer
from tests.energy.conftest import AppFactory, node_of, scraper_of

ALPHA = "TYWxU5pTXmfQNnV795SxTYQnGPQr3nctWe"
ALICE = "TKKwBf2YL9sH2GppotCWkXy6jmKFRM4ncZ"  # holds USDT: a transfer to her costs less than 130,285


async def test_the_quote_falls_back_to_130285_energy_when_the_estimate_fails(
    energy_app: AppFactory, keys: Keys
) -> None:
    client = await energy_app()
    node, scraper = node_of(client), scraper_of(client)
    tron = client.app[app_keys.runtime].tron
    estimated = await quote_usdt_transfer(tron, owner=ALPHA, to=ALICE)
    assert estimated.energy_source == "estimate" and 0 < estimated.energy < 130_285
    node.set_fault("triggerconstantcontract", error_rate=1.0, error_status=200)  # node refuses
    fallback = await quote_usdt_transfer(tron, owner=ALPHA, to=ALICE)
    assert fallback.energy_source == "fallback" and fallback.energy == 130_285
    assert fallback.total_sun == 130_285 * 100 + 345 * 1000  # devnode: 100 sun/energy, 1000 sun/byte
    assert (await quote_usdt_transfer(tron, owner=None, to=ALICE)).energy == 130_285  # no pool to ask
    # The scraper's quote (the emergency fee users see) is still priced, from the fallback.
    assert scraper is not None
    scraper.params_due = 0
    await scraper.cycle()
    assert scraper.quote is not None and scraper.quote.energy_source == "fallback"
    partner, _ = await keys.partner()
    body = await (await client.get("/api/v1/energy/status", headers=bearer(partner))).json()
    assert Decimal(body["emergency_fee_trx"]) == Decimal("13.3735")


def _row(pool_id: int, at: datetime) -> tuple[Any, ...]:
    return (pool_id, at, at, 1000, 10, 990, 28800, 0, 0, 100, None)


async def test_persister_drops_history_past_retention_and_thins_history_older_than_a_day(
    energy_app: AppFactory,
) -> None:
    client = await energy_app(retention_days=2)
    runtime = client.app[app_keys.runtime]
    now = datetime.now(UTC)
    # A 15-minute bucket (aligned as the pruner aligns them) 36 h ago: inside retention, past a day.
    old = now - timedelta(hours=36)
    bucket = old - timedelta(seconds=int(old.timestamp()) % 900, microseconds=old.microsecond)
    async with runtime.pool.acquire() as conn:
        a, b = [r["id"] for r in await repo.list_pools(conn)][:2]
        rows = {
            "past retention": (a, now - timedelta(days=3)),
            "first in bucket": (a, bucket + timedelta(seconds=10)),
            "later in bucket": (a, bucket + timedelta(seconds=300)),
            "last in bucket": (a, bucket + timedelta(seconds=890)),
            "next bucket": (a, bucket + timedelta(seconds=905)),
            "other pool, same bucket": (b, bucket + timedelta(seconds=300)),
            "recent": (a, now - timedelta(hours=1)),
            "recent, same bucket": (a, now - timedelta(hours=1) + timedelta(seconds=1)),
        }
        await repo.insert_snapshots(conn, [_row(p, at) for p, at in rows.values()])
    await Persister(runtime.pool, client.app[app_keys.settings].energy).save(
        client.app[energy_runtime].holder.current
    )
    async with runtime.pool.acquire() as conn:
        left = {
            (r["pool_id"], r["taken_at"])
            for r in await conn.fetch(
                "SELECT pool_id, taken_at FROM energy_pool_snapshots WHERE taken_at < $1",
                now - timedelta(minutes=30),
            )
        }
    kept = {k for k, v in rows.items() if v in left}
    assert kept == {
        "first in bucket",
        "next bucket",
        "other pool, same bucket",
        "recent",
        "recent, same bucket",
    }
