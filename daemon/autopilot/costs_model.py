"""How one transfer's energy was paid, from its receipt (docs/forecast-and-costs.md), as integers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Cost:
    """The split of one receipt, in energy and sun."""

    energy_total: int  # the call's energy, the contract owner's share included
    energy_usage: int  # paid by the sender's stake (own or delegated to it)
    origin_energy_usage: int  # paid by the contract's deployer: no cost to the gateway
    burned_sun: int  # TRX burned for the energy the sender's stake could not cover
    burned_energy: int
    staked_energy: int
    delegated_energy: int
    user_fee_energy: int  # burned energy the user's TRX fee paid (emergency withdrawals)
    cost_sun: int  # the sender's energy at the price of that moment: stake used plus TRX burned
    burn_all_sun: int  # what burning all of the sender's energy would have cost


def split(info: dict[str, Any], *, energy_fee_sun: int, own_ratio: float, user_paid: bool) -> Cost:
    """The receipt's energy by source; staked vs delegated pro rata by the pool's own share of its limit."""
    receipt = info.get("receipt") or {}
    usage = int(receipt.get("energy_usage", 0))  # java-tron omits zero fields
    burned_sun = int(receipt.get("energy_fee", 0))
    origin = int(receipt.get("origin_energy_usage", 0))
    burned_energy = burned_sun // energy_fee_sun if energy_fee_sun > 0 else 0
    total = int(receipt.get("energy_usage_total", usage + origin + burned_energy))
    staked = round(usage * own_ratio)
    sender = usage + burned_energy
    return Cost(
        energy_total=total,
        energy_usage=usage,
        origin_energy_usage=origin,
        burned_sun=burned_sun,
        burned_energy=burned_energy,
        staked_energy=staked,
        delegated_energy=usage - staked,
        user_fee_energy=burned_energy if user_paid else 0,
        cost_sun=usage * energy_fee_sun + burned_sun,
        burn_all_sun=sender * energy_fee_sun,
    )
