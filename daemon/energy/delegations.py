"""Energy a pool holds by delegation and energy it delegates out (Stake 2.0, docs/delegation.md)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from daemon.tron.client import TronClient
from daemon.tron.energy import energy_limit

Direction = Literal["in", "out"]
RECLAIM_WINDOW_MS = 3_600_000  # `reclaimed_energy_1h`: energy taken back from the pool in the last hour


@dataclass(frozen=True, slots=True)
class Delegation:
    """One DelegatedResource record with energy: `in` is delegated to the pool, `out` by the pool."""

    direction: Direction
    counterpart: str
    amount_sun: int
    energy: int
    expires_at: datetime | None  # lock expiry; None for an unlocked record (reclaimable any time)

    def as_dict(self) -> dict[str, Any]:
        """JSON for the database row."""
        expires = self.expires_at.isoformat() if self.expires_at is not None else None
        return {
            "direction": self.direction,
            "counterpart": self.counterpart,
            "amount_sun": self.amount_sun,
            "energy": self.energy,
            "expires_at": expires,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Delegation:
        """Inverse of as_dict."""
        expires = datetime.fromisoformat(d["expires_at"]) if d.get("expires_at") else None
        direction: Direction = "out" if d.get("direction") == "out" else "in"
        return cls(direction, str(d["counterpart"]), int(d["amount_sun"]), int(d["energy"]), expires)


@dataclass(frozen=True, slots=True)
class Balances:
    """What getaccount/getaccountresource say about delegation, read every cycle at no extra cost."""

    acquired_sun: int = 0
    delegated_out_sun: int = 0
    total_energy_limit: int = 0
    total_energy_weight: int = 0

    def energy(self, sun: int) -> int:
        """The energy a stake of `sun` yields at the current totals (EnergyLimit's formula)."""
        return energy_limit(sun, self.total_energy_limit, self.total_energy_weight)


def parse_records(
    records: list[dict[str, Any]], direction: Direction, counterpart: str, balances: Balances
) -> list[Delegation]:
    """Energy records of one pair (bandwidth-only records are left out)."""
    out = []
    for r in records:
        sun = int(r.get("frozen_balance_for_energy", 0))
        if sun <= 0:
            continue
        ms = int(r.get("expire_time_for_energy", 0))
        expires = datetime.fromtimestamp(ms / 1000, UTC) if ms > 0 else None
        out.append(Delegation(direction, counterpart, sun, balances.energy(sun), expires))
    return out


async def read_delegations(tron: TronClient, address: str, balances: Balances) -> tuple[Delegation, ...]:
    """The account index, then each counterpart's records, one request at a time."""
    index = await tron.get_delegation_index(address)
    found: list[Delegation] = []
    for frm in index.get("fromAccounts", []) if balances.acquired_sun else []:
        found += parse_records(await tron.get_delegated_resource(frm, address), "in", str(frm), balances)
    for to in index.get("toAccounts", []) if balances.delegated_out_sun else []:
        found += parse_records(await tron.get_delegated_resource(address, to), "out", str(to), balances)
    return tuple(found)


@dataclass(slots=True)
class DelegationState:
    """Per pool: the last balances and records, when they were read, and recent reclaims."""

    acquired_sun: int = 0
    delegated_out_sun: int = 0
    records: tuple[Delegation, ...] = ()
    read_at: float = 0.0  # monotonic
    read_for: tuple[int, int] | None = None  # (acquired, delegated out) when the records were read
    reclaims: deque[tuple[int, int]] = field(default_factory=deque)  # (chain ms, energy)
    observed: bool = False

    def due(self, b: Balances, now: float, interval: float) -> bool:
        """Read records when balances changed, or every `interval` while there are any."""
        if (b.acquired_sun, b.delegated_out_sun) != self.read_for:
            return True
        return bool(b.acquired_sun or b.delegated_out_sun) and now - self.read_at >= interval

    def observe(self, b: Balances, chain_ms: int) -> int:
        """Note balance changes; returns the energy the pool reclaimed from others since the last reading.

        A drop in delegated-out stake is an UnDelegate by the pool: java-tron moves the receiver's share
        of usage onto the pool, which is not spend. A drop in acquired stake is a reclaim by a delegator.
        """
        moved_back = 0
        if self.observed:
            if b.delegated_out_sun < self.delegated_out_sun:
                moved_back = b.energy(self.delegated_out_sun - b.delegated_out_sun)
            if b.acquired_sun < self.acquired_sun:
                self.reclaims.append((chain_ms, b.energy(self.acquired_sun - b.acquired_sun)))
        self.acquired_sun, self.delegated_out_sun, self.observed = b.acquired_sun, b.delegated_out_sun, True
        while self.reclaims and self.reclaims[0][0] <= chain_ms - RECLAIM_WINDOW_MS:
            self.reclaims.popleft()
        return moved_back

    def reclaimed_energy(self) -> int:
        """Acquired energy taken back from the pool in the trailing hour."""
        return sum(e for _, e in self.reclaims)


async def refresh(
    tron: TronClient,
    address: str,
    st: DelegationState,
    balances: Balances,
    *,
    now: float,
    interval: float,
    limit_s: float,
) -> None:
    """Re-read the records when due; on a node error keep the old ones and retry next cycle."""
    if not st.due(balances, now, interval):
        return
    records: tuple[Delegation, ...] = ()
    if balances.acquired_sun or balances.delegated_out_sun:
        async with asyncio.timeout(limit_s):
            records = await read_delegations(tron, address, balances)
    st.records, st.read_at = records, now
    st.read_for = (balances.acquired_sun, balances.delegated_out_sun)


def next_expiry(records: tuple[Delegation, ...]) -> datetime | None:
    """The earliest lock expiry among energy delegated to the pool."""
    times = [d.expires_at for d in records if d.direction == "in" and d.expires_at is not None]
    return min(times) if times else None
