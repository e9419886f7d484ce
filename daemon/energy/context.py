"""Energy at run time: declared pools, the leader-leased scraper with persistence, and the follower."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
from aiohttp import web

from daemon import keys
from daemon.config import EnergySettings
from daemon.db.lease import LeaderLease
from daemon.energy import pools_repo as repo
from daemon.energy.delegations_repo import DelegationSaver
from daemon.energy.follower import load_snapshot
from daemon.energy.runtime import energy_runtime
from daemon.energy.scraper import PoolRow, Scraper, state_row
from daemon.energy.snapshot import EnergySnapshot
from daemon.tasks import stop_tasks
from daemon.tron.addresses import b58

log = logging.getLogger(__name__)
SEED_HOURS = 25  # a day of history (plus an edge) rebuilds daily consumption after a restart
PRUNE_EVERY = 3600.0
THIN_AFTER = timedelta(days=1)
THIN_BUCKET_S = 900  # history older than a day keeps one snapshot per pool per 15 minutes


class Persister:
    """After each cycle: latest state for followers, history every `history_interval`, hourly pruning."""

    def __init__(self, pool: object, settings: EnergySettings) -> None:
        self.pool = pool
        self.settings = settings
        self.history_due = 0.0
        self.prune_due = 0.0
        self.delegations = DelegationSaver()

    async def save(self, snap: EnergySnapshot) -> None:
        """Write; a database failure is logged and retried next cycle, never stops the scraper."""
        try:
            await self._save(snap)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            log.warning("energy state not saved error=%s", exc)

    async def _save(self, snap: EnergySnapshot) -> None:
        now = time.monotonic()
        async with self.pool.acquire() as conn:  # type: ignore[attr-defined]
            await repo.save_states(conn, [state_row(p) for p in snap.pools])
            await self.delegations.save(conn, snap.pools)
            if snap.energy_fee_sun is not None and snap.transaction_fee_sun is not None:
                quote = snap.quote.as_dict() if snap.quote is not None else None
                await repo.save_chain_state(conn, snap.energy_fee_sun, snap.transaction_fee_sun, quote)
            if now >= self.history_due:
                self.history_due = now + self.settings.history_interval
                await repo.insert_snapshots(conn, _history_rows(snap))
            if now >= self.prune_due:
                self.prune_due = now + PRUNE_EVERY
                wall = datetime.now(UTC)
                removed = await repo.prune_snapshots(
                    conn,
                    drop_before=wall - timedelta(days=self.settings.retention_days),
                    thin_before=wall - THIN_AFTER,
                    bucket_s=THIN_BUCKET_S,
                )
                if removed:
                    log.info("energy snapshots pruned count=%d", removed)


def _history_rows(snap: EnergySnapshot) -> list[tuple[object, ...]]:
    return [
        (
            p.id,
            p.last_scraped_at,
            p.chain_time,
            p.energy_limit,
            p.energy_used,
            p.energy_available,
            p.window_slots,
            p.frozen_sun,
            p.balance_sun,
            snap.energy_fee_sun,
            p.daily_consumption,
        )
        for p in snap.pools
        if p.up and p.last_scraped_at is not None and p.chain_time is not None
    ]


def declared_pools(app: web.Application) -> list[tuple[str, str, Decimal, bool]]:
    """Pools from the config file, plus the devnode's pool accounts when it runs in-process (demo)."""
    out = [(p.name, p.wallet_address, p.target_trx, p.enabled) for p in app[keys.settings].energy.pools]
    node = app[keys.runtime].devnode
    if node is not None:
        for acc in node.chain.accounts.values():
            if acc.pool:
                trx = Decimal(acc.frozen_energy) / 1_000_000
                out.append((acc.name, b58(acc.address), trx, True))
    return out


async def _sync_declared(app: web.Application) -> None:
    declared = declared_pools(app)
    async with app[keys.runtime].pool.acquire() as conn, conn.transaction():
        for name, address, target, enabled in declared:
            try:
                async with conn.transaction():  # a savepoint: one clash must not undo the others
                    await repo.upsert_config_pool(conn, name, address, target, enabled)
            except asyncpg.UniqueViolationError:
                log.error("declared pool skipped: its name is taken by another pool name=%s", name)
        # Disabled, not deleted: history and queue entries that name the pool stay intact, and the
        # admin API may now re-enable or delete it. Declaring it again takes it back.
        for row in await repo.release_undeclared(conn, [address for _, address, _, _ in declared]):
            log.warning(
                "pool no longer in the config file: disabled, now managed over the API name=%s id=%d",
                row["name"],
                row["id"],
            )


async def _lead(app: web.Application) -> None:
    """The leader's job: a fresh scraper seeded from stored history, looping until the lease ends."""
    runtime, settings, energy = app[keys.runtime], app[keys.settings].energy, app[energy_runtime]
    assert runtime.tron is not None
    cached: list[PoolRow] = []

    async def pools() -> list[PoolRow]:
        nonlocal cached
        try:
            async with runtime.pool.acquire() as conn:
                rows = await repo.list_pools(conn)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            log.warning("pool list unavailable, using the last one error=%s", exc)
            return cached
        cached = [
            PoolRow(r["id"], r["name"], r["wallet_address"], r["enabled"], r["target_trx"]) for r in rows
        ]
        return cached

    scraper = Scraper(settings, runtime.tron, energy.holder, pools)
    async with runtime.pool.acquire() as conn:
        for r in await repo.snapshots_since(conn, datetime.now(UTC) - timedelta(hours=SEED_HOURS)):
            scraper.seed(
                r["pool_id"], int(r["chain_time"].timestamp() * 1000), r["energy_used"], r["window_slots"]
            )
    energy.scraper = scraper
    try:
        await scraper.run(after_cycle=Persister(runtime.pool, settings).save)
    finally:
        energy.scraper = None


async def _follow(app: web.Application) -> None:
    """Load the leader's figures whenever this replica has not scraped itself lately."""
    runtime, settings = app[keys.runtime], app[keys.settings].energy
    holder, serial = app[energy_runtime].holder, 0
    while True:
        local = holder.published_locally_at
        if local is None or time.monotonic() - local > 2 * settings.scrape_interval:
            try:
                async with runtime.pool.acquire() as conn:
                    serial += 1
                    holder.publish(await load_snapshot(conn, settings, -serial), local=False)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
                log.warning("energy state not loaded error=%s", exc)
        await asyncio.sleep(settings.scrape_interval)


async def energy_context(app: web.Application) -> AsyncIterator[None]:
    """Declare configured pools, then run the scraper under a leader lease and the follower everywhere."""
    runtime, settings = app[keys.runtime], app[keys.settings]
    await _sync_declared(app)
    tasks = [asyncio.create_task(_follow(app), name="energy-follow")]
    if runtime.tron is not None:
        lease = LeaderLease(
            app[keys.database_url],
            "energy-scraper",
            lambda: _lead(app),
            interval=settings.jobs.lease_interval,
            gauge=app[keys.metrics].leader,
        )
        tasks.append(asyncio.create_task(lease.run(), name="lease:energy-scraper"))
    try:
        yield
    finally:
        await stop_tasks(tasks)
