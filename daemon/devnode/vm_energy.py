"""A contract call's energy: VMActuator's limit (caller plus origin) and ReceiptCapsule.payEnergyBill."""

from __future__ import annotations

from dataclasses import dataclass

from daemon.devnode.accounts import Account
from daemon.devnode.chain import DevnodeChain, Receipt
from daemon.devnode.resources import energy_limit_of, energy_used, settle_energy, spend_energy


@dataclass(frozen=True, slots=True)
class CallLimits:
    """The energy a call may use and the staked energy each payer had left when it started."""

    total: int
    caller_left: int
    origin_left: int


def left_energy(chain: DevnodeChain, acc: Account) -> int:
    """EnergyProcessor.getAccountLeftEnergyFromFreeze: limit minus usage recovered to the head slot."""
    return max(
        0, energy_limit_of(acc, chain.params, chain.energy_weight()) - energy_used(acc, chain.head_slot)
    )


def call_limits(
    chain: DevnodeChain,
    caller: Account,
    origin: Account | None,
    fee_limit: int,
    call_value: int,
    user_percent: int,
    origin_energy_limit: int,
) -> CallLimits:
    """getTotalEnergyLimitWithFixRatio: fee_limit caps the caller; the origin adds its share of its stake."""
    fee = chain.params.energy_fee
    caller_left = left_energy(chain, caller)
    caller_limit = min(caller_left + max(caller.balance - call_value, 0) // fee, fee_limit // fee)
    if origin is None or origin is caller:
        return CallLimits(caller_limit, caller_left, 0)
    origin_left = left_energy(chain, origin) if user_percent < 100 else 0
    if user_percent <= 0:
        creator_limit = min(origin_left, origin_energy_limit)
    elif user_percent < 100:
        share = caller_limit * (100 - user_percent) // user_percent
        creator_limit = min(share, origin_left, origin_energy_limit)
    else:
        creator_limit = 0
    return CallLimits(caller_limit + creator_limit, caller_left, origin_left)


def pay_energy_bill(
    chain: DevnodeChain,
    caller: Account,
    origin: Account | None,
    used: int,
    succeeded: bool,
    limits: CallLimits,
    user_percent: int,
    origin_energy_limit: int,
    receipt: Receipt,
) -> None:
    """TransactionTrace.pay: split `used` between origin and caller, stake first, the rest burned."""
    slot = chain.head_slot
    if succeeded:
        # The VM's usage update to now is committed only on success (docs/devnode-fidelity.md, fact 1).
        settle_energy(caller, slot)
        if origin is not None and origin is not caller:
            settle_energy(origin, slot)
    receipt.energy_usage_total = used
    if used <= 0:
        return
    caller_usage = used
    if origin is not None and origin is not caller:
        origin_usage = min(used * max(100 - user_percent, 0) // 100, limits.origin_left, origin_energy_limit)
        spend_energy(origin, origin_usage, slot)
        receipt.origin_energy_usage = origin_usage
        caller_usage = used - origin_usage
    from_stake = min(limits.caller_left, caller_usage)
    spend_energy(caller, from_stake, slot)
    burned = (caller_usage - from_stake) * chain.params.energy_fee
    caller.balance -= burned
    receipt.energy_usage, receipt.energy_fee = from_stake, burned


MAX_ENERGY_FOR_CONSTANT = 100_000_000  # vm.maxEnergyLimitForConstant default
TRX = 1_000_000


def estimate_energy_required(energy: int, energy_fee: int, max_fee_limit: int) -> int:
    """Wallet.estimateEnergy: binary-search the fee limit to 1 TRX, answer ceil(fee limit / energy fee)."""

    def fits(fee_limit: int) -> bool:
        # A constant call's limit: min(maxEnergyLimitForConstant, fee_limit / fee)
        # (docs/devnode-fidelity.md, fact 7).
        return energy <= min(MAX_ENERGY_FOR_CONSTANT, fee_limit // energy_fee)

    high = max_fee_limit
    low = energy_fee * energy
    if low * 2 < high:
        if fits(low * 2):
            high = low * 2
        else:
            low = low * 2
    while low + TRX < high:
        mid = (low + high) // 2
        if fits(mid):
            high = mid
        else:
            low = mid
    return -(-high // energy_fee)
