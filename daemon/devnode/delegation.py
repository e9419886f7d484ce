"""Stake 2.0 delegation actuators: DelegateResource and UnDelegateResource, and their shared arithmetic.

Validation messages, their order and the arithmetic follow java-tron's actuators (docs/delegation.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from daemon.devnode.accounts import Account
from daemon.devnode.actuators import ParsedTx, _charge_bandwidth, _int, _stored, invalid
from daemon.devnode.chain import DevnodeChain, Receipt, StoredTx
from daemon.devnode.resources import apply_bandwidth
from daemon.tron.addresses import AddressError, to_raw
from daemon.tron.energy import WINDOW_OPTIMIZED_SCALE, WINDOW_SLOTS, increase_usage

SUN = 1_000_000
SLOT_MS = 3_000
DEFAULT_LOCK_PERIOD = 3 * 86_400_000 // SLOT_MS  # DELEGATE_PERIOD in blocks, when lock_period is 0
MAX_LOCK_PERIOD = 864_000  # getMaxDelegateLockPeriod as the devnode's chain parameters print it
FULL_WINDOW = WINDOW_SLOTS * WINDOW_OPTIMIZED_SCALE
RESOURCE_NAMES = {0: "BANDWIDTH", 1: "ENERGY", 2: "TRON_POWER"}


@dataclass(frozen=True, slots=True)
class Resource:
    """The Account fields one resource code uses."""

    name: str
    frozen: str
    delegated: str
    acquired: str
    usage: str
    slot: str
    window: str


ENERGY = Resource(
    "ENERGY",
    "frozen_energy",
    "delegated_energy",
    "acquired_energy",
    "energy_usage",
    "energy_slot",
    "energy_window",
)
BANDWIDTH = Resource(
    "BANDWIDTH",
    "frozen_bandwidth",
    "delegated_bandwidth",
    "acquired_bandwidth",
    "net_usage",
    "net_slot",
    "net_window",
)


def resource_name(value: Any) -> str:
    """A contract's `resource` as its enum name (omitted means BANDWIDTH, enum 0)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return RESOURCE_NAMES.get(value, str(value))
    return str(value) if value else "BANDWIDTH"


def _get(acc: Account, name: str) -> int:
    value: int = getattr(acc, name)
    return value


def totals(chain: DevnodeChain, res: Resource) -> tuple[int, int]:
    """(TotalEnergyCurrentLimit, TotalEnergyWeight) or the net pair."""
    if res is ENERGY:
        return chain.params.total_energy_limit, chain.energy_weight()
    return chain.params.total_net_limit, chain.net_weight()


def updated_usage(acc: Account, res: Resource, now_slot: int) -> tuple[int, int]:
    """EnergyProcessor.updateUsage: (usage, window×1000) advanced to now with increaseV2 and no spend."""
    usage, slot, window = _get(acc, res.usage), _get(acc, res.slot), _get(acc, res.window)
    if usage == 0 and window == 0:
        return 0, 0
    return increase_usage(usage, slot, max(now_slot, slot), window, 0)


def can_delegate_max(chain: DevnodeChain, acc: Account, res: Resource) -> int:
    """Wallet.calcCanDelegated*MaxSize: own V2 stake minus usage in sun beyond what acquired stake covers."""
    limit, weight = totals(chain, res)
    usage, _ = updated_usage(acc, res, chain.head_slot)
    usage_sun = int(usage * SUN * (weight / limit)) if limit else 0
    v2_usage = max(0, usage_sun - _get(acc, res.acquired))
    return max(0, _get(acc, res.frozen) - v2_usage)


def _address(value: Any, what: str) -> bytes:
    try:
        return to_raw(str(value or ""))
    except AddressError as exc:
        raise invalid(f"Invalid {what}") from exc


def _resource(p: ParsedTx, error: str) -> Resource:
    name = resource_name(p.value.get("resource"))
    if name == "ENERGY":
        return ENERGY
    if name == "BANDWIDTH":
        return BANDWIDTH
    raise invalid(error)


def finish(chain: DevnodeChain, acc: Account, p: ParsedTx) -> StoredTx:
    """Charge the transaction's bandwidth and record it as a success (the actuator then applies it)."""
    charge = _charge_bandwidth(chain, acc, p, False)
    apply_bandwidth(acc, charge, chain.head_slot)
    acc.latest_opration_time = chain.head.timestamp
    return _stored(p, "SUCCESS", Receipt(), charge)


def delegate(chain: DevnodeChain, p: ParsedTx) -> StoredTx:
    """DelegateResourceActuator: move own V2 stake to the receiver's acquired balance, optionally locked."""
    owner = chain.accounts.get(p.owner)
    if owner is None:
        raise invalid(f"Account[{p.owner.hex()}] not exists")
    balance = _int(p.value.get("balance"))
    if balance < SUN:
        raise invalid("delegateBalance must be greater than or equal to 1 TRX")
    res = _resource(p, "ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY]")
    if can_delegate_max(chain, owner, res) < balance:
        kind = "FreezeEnergyV2" if res is ENERGY else "FreezeBandwidthV2"
        raise invalid(f"delegateBalance must be less than or equal to available {kind} balance")
    receiver_address = _address(p.value.get("receiver_address"), "receiverAddress")
    if receiver_address == p.owner:
        raise invalid("receiverAddress must not be the same as ownerAddress")
    receiver = chain.accounts.get(receiver_address)
    if receiver is None:
        raise invalid(f"Account[{receiver_address.hex()}] not exists")
    lock = bool(p.value.get("lock"))
    period = _int(p.value.get("lock_period")) or DEFAULT_LOCK_PERIOD
    now = chain.head.timestamp
    store = chain.delegations
    if lock:
        if not 0 <= period <= MAX_LOCK_PERIOD:
            raise invalid(
                "The lock period of delegate resource cannot be less than 0 and cannot exceed "
                f"{MAX_LOCK_PERIOD}!"
            )
        held = store.get(p.owner, receiver_address, True)
        if held is not None:
            remain = (held.expire_energy if res is ENERGY else held.expire_bandwidth) - now
            if period * SLOT_MS < remain:
                raise invalid(
                    f"The lock period for {res.name} this time cannot be less than the remaining "
                    f"time[{remain}ms] of the last lock period for {res.name}!"
                )
    tx = finish(chain, owner, p)
    store.unlock_expired(p.owner, receiver_address, now)
    record = store.get_or_new(p.owner, receiver_address, lock)
    expire = now + period * SLOT_MS if lock else 0
    # addFrozenBalanceFor*: the whole locked balance takes the new expiry.
    if res is ENERGY:
        record.energy, record.expire_energy = record.energy + balance, expire
    else:
        record.bandwidth, record.expire_bandwidth = record.bandwidth + balance, expire
    store.put_or_drop(record, lock)
    store.index[(p.owner, receiver_address)] = now
    setattr(receiver, res.acquired, _get(receiver, res.acquired) + balance)
    setattr(owner, res.delegated, _get(owner, res.delegated) + balance)
    setattr(owner, res.frozen, _get(owner, res.frozen) - balance)
    return tx


def _reclaimable(chain: DevnodeChain, frm: bytes, to: bytes, res: Resource, now: int) -> int:
    unlocked, locked = chain.delegations.get(frm, to, False), chain.delegations.get(frm, to, True)
    total = 0
    if unlocked is not None:
        total += unlocked.energy if res is ENERGY else unlocked.bandwidth
    if locked is not None:
        expire = locked.expire_energy if res is ENERGY else locked.expire_bandwidth
        if expire < now:
            total += locked.energy if res is ENERGY else locked.bandwidth
    return total


def _transfer_usage(chain: DevnodeChain, receiver: Account, res: Resource, balance: int) -> int:
    """The receiver's proportional usage that goes back to the owner; updates the receiver."""
    now_slot = chain.head_slot
    usage, window = updated_usage(receiver, res, now_slot)
    setattr(receiver, res.window, window)
    acquired = _get(receiver, res.acquired)
    transfer = 0
    if acquired < balance:
        setattr(receiver, res.acquired, 0)  # java-tron's guard for a re-created receiver
    else:
        limit, weight = totals(chain, res)
        max_usage = int(balance / SUN * (limit / weight)) if weight else 0
        all_frozen = _get(receiver, res.frozen) + acquired
        transfer = min(max_usage, int(usage * (balance / all_frozen)))
        setattr(receiver, res.acquired, acquired - balance)
    setattr(receiver, res.usage, usage - transfer)
    setattr(receiver, res.slot, now_slot)
    return transfer


def _undelegate_increase(
    owner: Account, receiver: Account, res: Resource, transfer: int, now_slot: int
) -> None:
    """ResourceProcessor.unDelegateIncreaseV2: add the usage, blend the windows by usage."""
    own, own_window = updated_usage(owner, res, now_slot)
    new = own + transfer
    setattr(owner, res.slot, now_slot)
    if new == 0:
        setattr(owner, res.usage, 0)
        setattr(owner, res.window, FULL_WINDOW)
        return
    own_window = own_window or FULL_WINDOW
    recv_window = _get(receiver, res.window) or FULL_WINDOW
    blended = -(-(own * own_window + transfer * recv_window) // new)
    setattr(owner, res.usage, new)
    setattr(owner, res.window, min(blended, FULL_WINDOW))


def undelegate(chain: DevnodeChain, p: ParsedTx) -> StoredTx:
    """UnDelegateResourceActuator: reclaim unlocked (or expired) stake with the receiver's share of usage."""
    owner = chain.accounts.get(p.owner)
    if owner is None:
        raise invalid(f"Account[{p.owner.hex()}] does not exist")
    receiver_address = _address(p.value.get("receiver_address"), "receiverAddress")
    if receiver_address == p.owner:
        raise invalid("receiverAddress must not be the same as ownerAddress")
    store, now = chain.delegations, chain.head.timestamp
    if (
        store.get(p.owner, receiver_address, False) is None
        and store.get(p.owner, receiver_address, True) is None
    ):
        raise invalid("delegated Resource does not exist")
    balance = _int(p.value.get("balance"))
    if balance <= 0:
        raise invalid("unDelegateBalance must be more than 0 TRX")
    res = _resource(p, "ResourceCode error.valid ResourceCode[BANDWIDTH、Energy]")
    available = _reclaimable(chain, p.owner, receiver_address, res, now)
    if available < balance:
        label = "delegateFrozenBalance(Energy)" if res is ENERGY else "delegatedFrozenBalance(BANDWIDTH)"
        raise invalid(f"insufficient {label}, request={balance}, unlock_balance={available}")
    tx = finish(chain, owner, p)
    receiver = chain.accounts.get(receiver_address)
    transfer = _transfer_usage(chain, receiver, res, balance) if receiver is not None else 0
    store.unlock_expired(p.owner, receiver_address, now)
    record = store.get_or_new(p.owner, receiver_address, False)
    if res is ENERGY:
        record.energy -= balance
    else:
        record.bandwidth -= balance
    setattr(owner, res.delegated, _get(owner, res.delegated) - balance)
    setattr(owner, res.frozen, _get(owner, res.frozen) + balance)
    if receiver is not None and transfer > 0:
        _undelegate_increase(owner, receiver, res, transfer, chain.head_slot)
    store.put_or_drop(record, False)
    if (
        store.get(p.owner, receiver_address, True) is None
        and store.get(p.owner, receiver_address, False) is None
    ):
        store.index.pop((p.owner, receiver_address), None)
    return tx


ACTUATORS = {
    "DelegateResourceContract": delegate,
    "UnDelegateResourceContract": undelegate,
}
