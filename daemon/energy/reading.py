"""One pool's figures from getaccount + getaccountresource (docs/tron.md#wire-format)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from daemon.energy.delegations import Balances
from daemon.tron.client import TronClient
from daemon.tron.energy import WINDOW_SLOTS, window_slots_from_stored
from daemon.tron.errors import TronApiError


@dataclass(frozen=True, slots=True)
class PoolReading:
    """What the node says about a pool account at its head block."""

    energy_limit: int
    energy_used: int
    window_slots: int
    frozen_sun: int
    balance_sun: int
    net_available: int
    balances: Balances = field(default_factory=Balances)  # delegated stake and the totals pricing it


def parse_reading(account: dict[str, Any], resource: dict[str, Any]) -> PoolReading:
    """Zero fields are omitted by java-tron, so every read defaults to 0."""
    res = account.get("account_resource", {})
    # frozenV2 lists BANDWIDTH (type omitted), ENERGY, TRON_POWER; delegated-out energy stake is still ours.
    frozen = sum(int(f.get("amount", 0)) for f in account.get("frozenV2", []) if f.get("type") == "ENERGY")
    frozen += int(res.get("delegated_frozenV2_balance_for_energy", 0))
    window = window_slots_from_stored(
        int(res.get("energy_window_size", 0)), bool(res.get("energy_window_optimized", False))
    )
    free_net = int(resource.get("freeNetLimit", 0)) - int(resource.get("freeNetUsed", 0))
    staked_net = int(resource.get("NetLimit", 0)) - int(resource.get("NetUsed", 0))
    return PoolReading(
        energy_limit=int(resource.get("EnergyLimit", 0)),
        energy_used=int(resource.get("EnergyUsed", 0)),  # already decayed to the head slot (docs/tron.md)
        window_slots=window if window > 0 else WINDOW_SLOTS,
        frozen_sun=frozen,
        balance_sun=int(account.get("balance", 0)),
        net_available=max(0, free_net) + max(0, staked_net),
        balances=Balances(
            acquired_sun=int(res.get("acquired_delegated_frozenV2_balance_for_energy", 0)),
            delegated_out_sun=int(res.get("delegated_frozenV2_balance_for_energy", 0)),
            total_energy_limit=int(resource.get("TotalEnergyLimit", 0)),
            total_energy_weight=int(resource.get("TotalEnergyWeight", 0)),
        ),
    )


async def read_pool(tron: TronClient, address: str, limit_s: float) -> PoolReading:
    """Two calls, one after the other, so `concurrency` bounds requests in flight, not pools."""
    async with asyncio.timeout(limit_s):
        account = await tron.get_account(address)
        if account is None:
            raise TronApiError(f"account {address} does not exist on chain")
        resource = await tron.get_account_resource(address)
    return parse_reading(account, resource)
