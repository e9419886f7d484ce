"""The dispatcher (leader job): releases waiting entries FIFO when a pool can cover them, reserving energy.

Anti-starvation policy — backfill with one hold: entries are taken oldest first; an entry that fits
in no pool right now does not stop younger, smaller ones from using *other* pools, but the oldest
such entry holds the pool closest to covering it (most available among pools whose limit can ever
cover it), so nothing else draws on that pool until the big entry is released. A big entry thus
waits at most for one pool's recovery, and small ones keep flowing through the rest. Entries larger
than every pool's limit never hold a pool (they would block it forever); their wait is unknown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from daemon.energy.snapshot import EnergySnapshot
from daemon.jobs import Job
from daemon.jobs.lease import lock_id
from daemon.withdrawals import queue_repo
from daemon.withdrawals.deps import WithdrawalDeps

log = logging.getLogger(__name__)
# Serialises dispatch runs across replicas, so two runs never count the same energy (belt and braces:
# only the lease holder dispatches, but a lease can change hands mid-run).
DISPATCH_LOCK = lock_id("withdrawal-dispatch-run")
POKE_GAP = 0.1  # seconds


@dataclass(frozen=True, slots=True)
class PoolRoom:
    """A pool's energy the dispatcher may hand out now, and the most it could ever hold."""

    id: int
    available: int
    capacity: int


def assign(entries: list[tuple[int, int]], rooms: list[PoolRoom]) -> list[tuple[int, int]]:
    """(entry id, pool id) releases for FIFO `entries` of (id, required energy); see the module policy."""
    left = {r.id: r.available for r in rooms}
    capacity = {r.id: r.capacity for r in rooms}
    held: int | None = None
    out: list[tuple[int, int]] = []
    for entry_id, need in entries:
        fits = [pid for pid, room in left.items() if room >= need and pid != held]
        if fits:
            # Most available first: spreads load, and keeps every pool's remainder as large as possible.
            pid = max(fits, key=lambda p: (left[p], -p))
            left[pid] -= need
            out.append((entry_id, pid))
        elif held is None:
            could = [pid for pid in left if capacity[pid] >= need]
            if could:
                held = max(could, key=lambda p: (left[p], -p))
    return out


def rooms_of(snap: EnergySnapshot, inflight: dict[int, int]) -> list[PoolRoom]:
    """Available minus the reserve minus energy already promised to released entries, per usable pool."""
    return [
        PoolRoom(
            p.id,
            p.energy_available - snap.reserve_energy - inflight.get(p.id, 0),
            p.energy_limit - snap.reserve_energy,
        )
        for p in snap.pools
        if p.enabled and p.up and p.has_data
    ]


async def cycle(deps: WithdrawalDeps) -> int:
    """One dispatch run; returns how many entries were released."""
    state, snap = deps.state, deps.snapshot()
    if snap.stale():
        return 0  # old figures could promise energy that is gone; wait for a fresh scrape
    usable = [p for p in snap.pools if p.enabled and p.up and p.has_data and p.last_scraped_at is not None]
    if not usable:
        return 0
    settle = timedelta(seconds=state.settings.settle_seconds)
    released = 0
    async with deps.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", DISPATCH_LOCK)
        cutoffs = [p.last_scraped_at - settle for p in usable if p.last_scraped_at is not None]
        held = await queue_repo.inflight(conn, [p.id for p in usable], cutoffs)
        rooms = rooms_of(snap, held)
        if all(r.available <= 0 for r in rooms):
            return 0  # nothing can be released: don't lock (and dirty) the whole waiting batch
        rows = await queue_repo.waiting_batch(conn, state.settings.dispatch_batch)
        plan = assign([(r["id"], r["required_energy"]) for r in rows], rooms)
        if plan:
            ids, pools = zip(*plan, strict=True)
            released = await queue_repo.release(conn, list(ids), list(pools), state.clock())
    if released:
        state.metrics.released.inc(released)
        state.inflight_cache = None
        state.waiting.invalidate()
        log.info("withdrawals released count=%d", released)
    return released


def job(deps: WithdrawalDeps) -> Job:
    """`withdrawal-dispatcher` (leader): every `dispatch_interval`, or sooner when poked (enqueue, snapshot).

    Pokes within POKE_GAP share one run: under an enqueue burst, a run per request would hog the database.
    """
    state = deps.state

    async def once() -> None:
        await cycle(deps)

    gap = min(POKE_GAP, state.settings.dispatch_interval)
    every = state.settings.dispatch_interval
    return Job(
        "withdrawal-dispatcher", once, interval=every, leader=True, wake=state.dispatch_now, min_gap=gap
    )
