"""Per-account energy and bandwidth accounting, java-tron's recovery window (docs/tron.md#recovery)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from daemon.devnode.accounts import Account
from daemon.tron.energy import (
    decayed_usage,
    energy_limit,
    increase_fixed,
    increase_usage,
    window_slots_from_stored,
)

SUN = 1_000_000
RESULT_BYTES = 64  # Constant.MAX_RESULT_SIZE_IN_TX, added per contract by BandwidthProcessor


@dataclass(slots=True)
class ChainParams:
    """Chain parameters a proposal could change; mutable at run time through the control API."""

    energy_fee: int = 100  # getEnergyFee, sun/energy (100 since 2025-08, docs/tron.md#energy-prices)
    transaction_fee: int = 1000  # getTransactionFee, sun per byte
    create_account_fee: int = 100_000  # getCreateAccountFee, burned for a new account's bytes
    create_new_account_fee: int = 1_000_000  # getCreateNewAccountFeeInSystemContract (docs/tron.md)
    free_net_limit: int = 600  # getFreeNetLimit
    max_fee_limit: int = 15_000_000_000  # getMaxFeeLimit
    total_energy_limit: int = 180_000_000_000  # getTotalEnergyCurrentLimit
    total_net_limit: int = 43_200_000_000
    # Whole TRX staked for energy by the rest of the network; 18e9 gives ≈10 energy per staked TRX.
    other_energy_weight: int = 18_000_000_000
    other_net_weight: int = 26_856_723_239  # mainnet TotalNetWeight (docs/tron.md#recorded-samples)
    # Node config vm.estimateEnergy: off in java-tron by default (docs/devnode-fidelity.md, fact 7).
    estimate_energy: bool = True


def own_stakes(accounts: Iterable[Account]) -> tuple[int, int]:
    """(ENERGY, BANDWIDTH) whole TRX staked by the devnode's accounts, each account's own floored, as
    java-tron adds each account's change to TotalEnergyWeight / TotalNetWeight."""
    energy = bandwidth = 0
    for a in accounts:
        energy += (a.frozen_energy + a.delegated_energy) // SUN
        bandwidth += (a.frozen_bandwidth + a.delegated_bandwidth) // SUN
    return energy, bandwidth


def energy_limit_of(acc: Account, params: ChainParams, weight: int) -> int:
    """EnergyLimit from the account's ENERGY stake plus energy delegated to it (docs/delegation.md)."""
    return energy_limit(acc.frozen_energy + acc.acquired_energy, params.total_energy_limit, weight)


def net_limit_of(acc: Account, params: ChainParams, weight: int) -> int:
    """NetLimit from the BANDWIDTH stake plus bandwidth delegated to it, with the net totals."""
    return energy_limit(acc.frozen_bandwidth + acc.acquired_bandwidth, params.total_net_limit, weight)


def _decay(usage: int, last_slot: int, window: int, now_slot: int) -> int:
    return decayed_usage(usage, max(0, now_slot - last_slot), window_slots_from_stored(window))


def energy_used(acc: Account, now_slot: int) -> int:
    """EnergyUsed decayed to now_slot (what getaccountresource reports)."""
    return _decay(acc.energy_usage, acc.energy_slot, acc.energy_window, now_slot)


def net_used(acc: Account, now_slot: int) -> int:
    """NetUsed (staked bandwidth) decayed to now_slot."""
    return _decay(acc.net_usage, acc.net_slot, acc.net_window, now_slot)


def free_net_used(acc: Account, now_slot: int) -> int:
    """freeNetUsed decayed to now_slot over the fixed 24 h window (BandwidthProcessor.updateUsage)."""
    return increase_fixed(acc.free_net_usage, 0, acc.free_net_slot, max(now_slot, acc.free_net_slot))


def _view(usage: int, last_slot: int, window: int, now_slot: int) -> tuple[int, int]:
    # increaseV2 with nothing spent, as updateUsage runs it: a spent-out usage gets the full window.
    return increase_usage(usage, last_slot, max(now_slot, last_slot), window, 0)


def energy_view(acc: Account, now_slot: int) -> tuple[int, int]:
    """(usage, window×1000) advanced to now_slot without spending, as getaccount shows them."""
    return _view(acc.energy_usage, acc.energy_slot, acc.energy_window, now_slot)


def net_view(acc: Account, now_slot: int) -> tuple[int, int]:
    """(staked net usage, window×1000) advanced to now_slot, as getaccount shows them."""
    return _view(acc.net_usage, acc.net_slot, acc.net_window, now_slot)


def spend_energy(acc: Account, amount: int, now_slot: int) -> None:
    """EnergyProcessor.useEnergy: one increaseV2 from the stored usage; the consume time becomes now."""
    slot = max(now_slot, acc.energy_slot)
    acc.energy_usage, acc.energy_window = increase_usage(
        acc.energy_usage, acc.energy_slot, slot, acc.energy_window, amount
    )
    acc.energy_slot = slot


def settle_energy(acc: Account, now_slot: int) -> None:
    """What a successful contract call leaves before its bill: usage updated to now, consume time now."""
    spend_energy(acc, 0, now_slot)


def spend_net(acc: Account, amount: int, now_slot: int) -> None:
    """Add staked-bandwidth usage."""
    slot = max(now_slot, acc.net_slot)
    acc.net_usage, acc.net_window = increase_usage(acc.net_usage, acc.net_slot, slot, acc.net_window, amount)
    acc.net_slot = slot


def spend_free_net(acc: Account, amount: int, now_slot: int) -> None:
    """useFreeNet: recover over the fixed window, then add at now (two plain increases)."""
    slot = max(now_slot, acc.free_net_slot)
    recovered = increase_fixed(acc.free_net_usage, 0, acc.free_net_slot, slot)
    acc.free_net_usage = increase_fixed(recovered, amount, slot, slot)
    acc.free_net_slot = slot


@dataclass(frozen=True, slots=True)
class NetCharge:
    """How a transaction's bytes are paid: staked, free, or burned sun."""

    staked: int = 0
    free: int = 0
    burned_sun: int = 0

    @property
    def usage(self) -> int:
        """net_usage as the receipt reports it."""
        return self.staked + self.free


def plan_bandwidth(
    acc: Account, nbytes: int, creates_account: bool, params: ChainParams, net_weight: int, now_slot: int
) -> NetCharge:
    """BandwidthProcessor.consume: staked net, then free net, else burn (create-account: flat fee)."""
    staked_left = net_limit_of(acc, params, net_weight) - net_used(acc, now_slot)
    if creates_account:
        if staked_left >= nbytes:
            return NetCharge(staked=nbytes)
        return NetCharge(burned_sun=params.create_account_fee)
    if staked_left >= nbytes:
        return NetCharge(staked=nbytes)
    if params.free_net_limit - free_net_used(acc, now_slot) >= nbytes:
        return NetCharge(free=nbytes)
    return NetCharge(burned_sun=nbytes * params.transaction_fee)


def apply_bandwidth(acc: Account, charge: NetCharge, now_slot: int) -> None:
    """Record a planned charge; the caller has checked the balance covers burned_sun."""
    if charge.staked:
        spend_net(acc, charge.staked, now_slot)
    if charge.free:
        spend_free_net(acc, charge.free, now_slot)
    acc.balance -= charge.burned_sun
