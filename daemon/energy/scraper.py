"""The scrape cycle: read every enabled pool (bounded, timed out, backed off), derive, publish, persist."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from daemon.config import EnergySettings
from daemon.energy.consumption import ConsumptionTracker
from daemon.energy.delegations import DelegationState, refresh
from daemon.energy.quote import FeeQuote, quote_usdt_transfer
from daemon.energy.reading import PoolReading, read_pool
from daemon.energy.snapshot import EnergySnapshot, PoolView, SnapshotHolder, assemble
from daemon.energy.status import pool_status
from daemon.observability.profiler import profiled
from daemon.tasks import wait_event
from daemon.tron.client import TronClient
from daemon.tron.energy import SECONDS_PER_DAY, runway_seconds
from daemon.tron.errors import TronApiError, TronError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PoolRow:
    """A pool as registered (database or config)."""

    id: int
    name: str
    wallet_address: str
    enabled: bool = True
    target_trx: Decimal = Decimal(0)


@dataclass(slots=True)
class _PoolState:
    """What the scraper remembers per pool between cycles."""

    tracker: ConsumptionTracker = field(default_factory=ConsumptionTracker)
    delegation: DelegationState = field(default_factory=DelegationState)
    view: PoolView | None = None
    failures: int = 0
    retry_at: float = 0.0  # monotonic


PoolSource = Callable[[], Awaitable[list[PoolRow]]]


class Scraper:
    """Owns per-pool state; `cycle()` does one pass, `run()` loops until cancelled."""

    def __init__(
        self,
        settings: EnergySettings,
        tron: TronClient,
        holder: SnapshotHolder,
        pools: PoolSource,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.tron = tron
        self.holder = holder
        self.pools = pools
        self.state: dict[int, _PoolState] = {}
        self.energy_fee_sun: int | None = None
        self.transaction_fee_sun: int | None = None
        self.quote: FeeQuote | None = None
        self.params_due = 0.0  # monotonic
        self.wake = asyncio.Event()
        self.serial = 0
        self.node_down = False  # the last head check failed: nothing learnt about any single pool
        self._sem = asyncio.Semaphore(settings.concurrency)

    def seed(self, pool_id: int, chain_ms: int, used: int, window_slots: int) -> None:
        """Feed a stored reading (after a restart) into the pool's consumption tracker."""
        self.state.setdefault(pool_id, _PoolState()).tracker.observe(chain_ms, used, window_slots)

    async def refresh_chain(self, owner: str | None) -> bool:
        """Re-read getEnergyFee/getTransactionFee and re-quote the empty-address transfer."""
        try:
            params = await self.tron.get_chain_parameters()
            if "getEnergyFee" not in params:
                raise TronApiError("getchainparameters: no getEnergyFee")
            self.energy_fee_sun = params["getEnergyFee"]
            self.transaction_fee_sun = params.get("getTransactionFee", 0)
            self.quote = await quote_usdt_transfer(
                self.tron,
                owner=owner,
                energy_fee_sun=self.energy_fee_sun,
                transaction_fee_sun=self.transaction_fee_sun,
            )
        except (TronError, TimeoutError) as exc:
            log.warning("chain parameters refresh failed error=%s", exc)
            return False
        self.params_due = self.clock() + self.settings.chain_params_interval
        return True

    async def _read(self, row: PoolRow) -> PoolReading | BaseException:
        async with self._sem:
            try:
                reading = await read_pool(self.tron, row.wallet_address, self.settings.pool_timeout)
            except (TronError, TimeoutError, OSError, ValueError) as exc:
                return exc
            st = self.state.setdefault(row.id, _PoolState())
            try:
                await refresh(
                    self.tron,
                    row.wallet_address,
                    st.delegation,
                    reading.balances,
                    now=self.clock(),
                    interval=self.settings.delegation_interval,
                    limit_s=self.settings.pool_timeout,
                )
            except (TronError, TimeoutError, OSError, ValueError) as exc:
                # The pool's own figures are good; its delegation records are retried next cycle.
                log.warning("pool delegations not read pool=%s error=%s", row.name, exc)
            return reading

    async def _head_ms(self) -> int:
        block = await self.tron.raw.get_latest_block()
        try:
            return int(block["block_header"]["raw_data"]["timestamp"])
        except (KeyError, TypeError, ValueError) as exc:
            raise TronApiError("getnowblock: no block timestamp") from exc

    @profiled("energy.scrape_cycle")
    async def cycle(self) -> EnergySnapshot:
        """One pass over every pool; never raises for node errors (they mark pools unreachable)."""
        rows = await self.pools()
        now_mono, wall = self.clock(), datetime.now(UTC)
        results: dict[int, PoolReading | BaseException] = {}
        chain_ms: int | None = None
        node_error: BaseException | None = None
        if any(r.enabled for r in rows):
            # The head check doubles as the node probe: when it fails, no pool is to blame.
            try:
                async with asyncio.timeout(self.settings.pool_timeout):
                    chain_ms = await self._head_ms()
            except (TronError, TimeoutError, OSError, ValueError) as exc:
                node_error = exc
        self._node_seen(node_error)
        due = [
            r for r in rows if r.enabled and self.state.setdefault(r.id, _PoolState()).retry_at <= now_mono
        ]
        if node_error is not None:
            results = dict.fromkeys((r.id for r in due), node_error)
        elif due:
            readings = await asyncio.gather(*(self._read(r) for r in due))
            results = {r.id: res for r, res in zip(due, readings, strict=True)}
        for row in rows:
            self._update(row, results.get(row.id), wall, now_mono, chain_ms, node_wide=node_error is not None)
        if self.quote is None or now_mono >= self.params_due:
            owner = next((r.wallet_address for r in rows if isinstance(results.get(r.id), PoolReading)), None)
            await self.refresh_chain(owner)
        return self.publish(rows)

    def _node_seen(self, error: BaseException | None) -> None:
        """Track node-wide outages; when the node answers again, retry every pool at once."""
        if error is not None:
            if not self.node_down:
                log.warning("tron node unreachable, every pool marked unreachable error=%s", error)
            self.node_down = True
        elif self.node_down:
            self.node_down = False
            # Failures logged while the node was going down or flapping say nothing about the pools.
            for st in self.state.values():
                st.failures, st.retry_at = 0, 0.0
            log.info("tron node answering again, every pool retried now")

    def _update(
        self,
        row: PoolRow,
        result: PoolReading | BaseException | None,
        wall: datetime,
        now_mono: float,
        chain_ms: int | None,
        *,
        node_wide: bool = False,
    ) -> None:
        st = self.state.setdefault(row.id, _PoolState())
        base = st.view or PoolView(
            row.id, row.name, row.wallet_address, row.enabled, row.target_trx, False, "unreachable"
        )
        view = replace(base, name=row.name, enabled=row.enabled, target_trx=row.target_trx)
        if isinstance(result, PoolReading) and chain_ms is not None:
            st.failures, st.retry_at = 0, 0.0
            moved_back = st.delegation.observe(result.balances, chain_ms)
            st.tracker.observe(chain_ms, result.energy_used, result.window_slots, moved_back)
            daily = st.tracker.daily()
            runway = (
                None
                if daily is None
                else runway_seconds(
                    result.energy_limit, result.energy_used, result.window_slots, daily / SECONDS_PER_DAY
                )
            )
            view = replace(
                view,
                up=True,
                energy_limit=result.energy_limit,
                energy_used=result.energy_used,
                window_slots=result.window_slots,
                frozen_sun=result.frozen_sun,
                balance_sun=result.balance_sun,
                net_available=result.net_available,
                daily_consumption=daily,
                runway_seconds=runway,
                last_scraped_at=wall,
                chain_time=datetime.fromtimestamp(chain_ms / 1000, UTC),
                last_error=None,
                acquired_energy=result.balances.energy(result.balances.acquired_sun),
                delegated_out_energy=result.balances.energy(result.balances.delegated_out_sun),
                delegations=st.delegation.records,
                reclaimed_energy_1h=st.delegation.reclaimed_energy(),
            )
        elif isinstance(result, BaseException) and node_wide:
            # No backoff: the pool is retried as soon as the node answers again.
            view = replace(view, up=False, last_error=str(result) or type(result).__name__)
        elif isinstance(result, BaseException):
            st.failures += 1
            # Exponential backoff from one interval, capped, so a dead pool costs few requests.
            delay = min(self.settings.scrape_interval * 2 ** (st.failures - 1), self.settings.backoff_max)
            st.retry_at = now_mono + delay
            view = replace(view, up=False, last_error=str(result) or type(result).__name__)
            if st.failures == 1:
                log.warning("pool unreachable pool=%s error=%s", row.name, view.last_error)
        status = pool_status(
            view, transfer_energy=self.settings.transfer_energy, warning=self.settings.warning
        )
        st.view = replace(view, status=status)

    def publish(self, rows: list[PoolRow]) -> EnergySnapshot:
        """Assemble the views of `rows` into a snapshot and make it current."""
        known = {r.id for r in rows}
        for gone in set(self.state) - known:
            del self.state[gone]
        views = [st.view for r in rows if (st := self.state[r.id]).view is not None]
        self.serial += 1
        s = self.settings
        snapshot = assemble(
            views,
            thresholds=(s.warning, s.critical, s.emergency),
            stale_after=3 * s.scrape_interval,
            transfer_energy=s.transfer_energy,
            reserve_energy=s.reserve_energy,
            energy_fee_sun=self.energy_fee_sun,
            transaction_fee_sun=self.transaction_fee_sun,
            quote=self.quote,
            serial=self.serial,
        )
        self.holder.publish(snapshot, local=True)
        return snapshot

    async def run(self, after_cycle: Callable[[EnergySnapshot], Awaitable[None]] | None = None) -> None:
        """Scrape every `scrape_interval` (or sooner when woken) until cancelled."""
        while True:
            started = time.monotonic()
            snapshot = await self.cycle()
            if after_cycle is not None:
                await after_cycle(snapshot)
            self.wake.clear()
            wait = max(0.0, self.settings.scrape_interval - (time.monotonic() - started))
            await wait_event(self.wake, wait)


def runway_hours(seconds: float | None) -> float | None:
    """Runway in hours for the API: null when unknown or sustainable (+Inf)."""
    if seconds is None or math.isinf(seconds):
        return None
    return round(seconds / 3600, 2)


def state_row(view: PoolView) -> tuple[Any, ...]:
    """A pool view as an energy_pool_state row."""
    return (
        view.id,
        view.up,
        view.last_error,
        view.last_scraped_at,
        view.chain_time,
        view.energy_limit,
        view.energy_used,
        view.window_slots,
        view.frozen_sun,
        view.balance_sun,
        view.net_available,
        view.daily_consumption,
        view.runway_seconds,  # +Infinity is a float8 value, so "sustainable" survives the round trip
    )
