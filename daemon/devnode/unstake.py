"""Stake 2.0 unstaking: UnfreezeBalanceV2 starts the 14-day wait, WithdrawExpireUnfreeze pays it out."""

from __future__ import annotations

from daemon.devnode.accounts import Account
from daemon.devnode.actuators import ParsedTx, _int, invalid
from daemon.devnode.chain import DevnodeChain, StoredTx
from daemon.devnode.delegation import BANDWIDTH, ENERGY, finish, resource_name

UNFREEZE_DELAY_MS = 14 * 86_400_000  # getUnfreezeDelayDays × FROZEN_PERIOD
UNFREEZE_MAX_TIMES = 32


def _withdraw_expired(acc: Account, now: int) -> int:
    due = sum(amount for _, amount, expire in acc.unfrozen if expire <= now)
    acc.unfrozen = [u for u in acc.unfrozen if u[2] > now]
    acc.balance += due
    return due


def unfreeze_v2(chain: DevnodeChain, p: ParsedTx) -> StoredTx:
    """UnfreezeBalanceV2Actuator: start the 14-day unstake, withdrawing what has already expired."""
    acc = chain.accounts.get(p.owner)
    if acc is None:
        raise invalid(f"Account[{p.owner.hex()}] does not exist")
    name = resource_name(p.value.get("resource"))
    res = {"ENERGY": ENERGY, "BANDWIDTH": BANDWIDTH}.get(name)
    if res is None:
        if name == "TRON_POWER":
            raise invalid("no frozenBalance(TronPower)")
        raise invalid("ResourceCode error.valid ResourceCode[BANDWIDTH、Energy、TRON_POWER]")
    frozen: int = getattr(acc, res.frozen)
    if frozen <= 0:
        raise invalid("no frozenBalance(Energy)" if res is ENERGY else "no frozenBalance(BANDWIDTH)")
    amount = _int(p.value.get("unfreeze_balance"))
    if not 0 < amount <= frozen:
        raise invalid(f"Invalid unfreeze_balance, [{amount}] is error")
    now = chain.head.timestamp
    if sum(1 for u in acc.unfrozen if u[2] > now) >= UNFREEZE_MAX_TIMES:
        raise invalid("Invalid unfreeze operation, unfreezing times is over limit")
    tx = finish(chain, acc, p)
    _withdraw_expired(acc, now)
    acc.unfrozen.append((res.name, amount, now + UNFREEZE_DELAY_MS))
    setattr(acc, res.frozen, frozen - amount)
    return tx


def withdraw_expire_unfreeze(chain: DevnodeChain, p: ParsedTx) -> StoredTx:
    """WithdrawExpireUnfreezeActuator: credit every unstake whose 14 days are over."""
    acc = chain.accounts.get(p.owner)
    if acc is None:
        raise invalid(f"Account[{p.owner.hex()}] not exists")
    now = chain.head.timestamp
    if sum(amount for _, amount, expire in acc.unfrozen if expire <= now) <= 0:
        raise invalid("no unFreeze balance to withdraw ")
    tx = finish(chain, acc, p)
    _withdraw_expired(acc, now)
    return tx


ACTUATORS = {
    "UnfreezeBalanceV2Contract": unfreeze_v2,
    "WithdrawExpireUnfreezeContract": withdraw_expire_unfreeze,
}
