"""Contract execution: TRX transfer, USDT TriggerSmartContract, FreezeBalanceV2, with java-tron's fees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from daemon.devnode.accounts import Account
from daemon.devnode.chain import DevnodeChain, Receipt, StoredTx
from daemon.devnode.resources import RESULT_BYTES, NetCharge, apply_bandwidth, plan_bandwidth
from daemon.devnode.usdt import (
    CONSUME_USER_RESOURCE_PERCENT,
    ORIGIN_ENERGY_LIMIT,
    USDT_ADDRESS,
    USDT_ORIGIN,
    out_of_energy,
)
from daemon.devnode.vm_energy import call_limits, pay_energy_bill
from daemon.tron.addresses import to_raw

SUN = 1_000_000


class Refusal(Exception):
    """A broadcast rejected with a java-tron Return code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> Refusal:
    """CONTRACT_VALIDATE_ERROR with Wallet.broadcastTransaction's prefix."""
    return Refusal("CONTRACT_VALIDATE_ERROR", f"Contract validate error : {message}")


@dataclass(frozen=True, slots=True)
class ParsedTx:
    """A decoded broadcast: canonical raw JSON (hex addresses), its protobuf bytes and signatures."""

    txid: str
    raw: dict[str, Any]
    raw_bytes: bytes
    signatures: list[bytes]
    contract_type: str
    value: dict[str, Any]
    owner: bytes
    size: int  # serialized Transaction size without ret


def _charge_bandwidth(chain: DevnodeChain, acc: Account, p: ParsedTx, creates: bool) -> NetCharge:
    charge = plan_bandwidth(
        acc, p.size + RESULT_BYTES, creates, chain.params, chain.net_weight(), chain.head_slot
    )
    if acc.balance < charge.burned_sun:
        raise Refusal("BANDWITH_ERROR", "Account resource insufficient error.")
    return charge


def _stored(p: ParsedTx, ret: str, receipt: Receipt, charge: NetCharge, contract_fee: int = 0) -> StoredTx:
    receipt.net_usage, receipt.net_fee = charge.usage, charge.burned_sun
    return StoredTx(
        p.txid,
        p.raw,
        p.raw_bytes,
        p.signatures,
        p.contract_type,
        p.owner,
        ret,
        receipt,
        contract_fee=contract_fee,
    )


def _owner(chain: DevnodeChain, p: ParsedTx, contract: str) -> Account:
    acc = chain.accounts.get(p.owner)
    if acc is None:
        raise invalid(f"Validate {contract} error, no OwnerAccount.")
    return acc


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def transfer(chain: DevnodeChain, p: ParsedTx) -> StoredTx:
    """TransferActuator: a new recipient costs getCreateNewAccountFeeInSystemContract, plus its bytes' fee."""
    acc = _owner(chain, p, "TransferContract")
    to = to_raw(str(p.value.get("to_address", "")))
    amount = _int(p.value.get("amount"))
    if amount <= 0:
        raise invalid("Amount must be greater than 0.")
    if to == p.owner:
        raise invalid("Cannot transfer TRX to yourself.")
    creates = to not in chain.accounts
    charge = _charge_bandwidth(chain, acc, p, creates)
    # java-tron's TransferActuator adds this to its ret fee; BandwidthProcessor has burned for the bytes.
    fee = chain.params.create_new_account_fee if creates else 0
    if acc.balance - charge.burned_sun < amount + fee:
        raise invalid("Validate TransferContract error, balance is not sufficient.")
    apply_bandwidth(acc, charge, chain.head_slot)
    acc.balance -= amount + fee
    acc.latest_opration_time = chain.head.timestamp
    dest = chain.accounts.get(to)
    if dest is None:
        dest = Account(address=to, create_time=chain.head.timestamp)
        chain.accounts[to] = dest
    dest.balance += amount
    return _stored(p, "SUCCESS", Receipt(), charge, contract_fee=fee)


def freeze_v2(chain: DevnodeChain, p: ParsedTx) -> StoredTx:
    """FreezeBalanceV2Actuator: stake TRX for ENERGY or BANDWIDTH (raises TotalEnergyWeight)."""
    acc = chain.accounts.get(p.owner)
    if acc is None:
        raise invalid(f"Account[{p.owner.hex()}] not exists")
    amount = _int(p.value.get("frozen_balance"))
    resource = p.value.get("resource", "BANDWIDTH")
    if amount < SUN:
        raise invalid("frozenBalance must be greater than or equal to 1 TRX")
    if amount > acc.balance:
        raise invalid("frozenBalance must be less than or equal to accountBalance")
    if resource not in ("ENERGY", "BANDWIDTH", 0, 1):
        raise invalid("ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY、TRON_POWER]")
    charge = _charge_bandwidth(chain, acc, p, False)
    if acc.balance - charge.burned_sun < amount:
        raise invalid("frozenBalance must be less than or equal to accountBalance")
    apply_bandwidth(acc, charge, chain.head_slot)
    acc.balance -= amount
    if resource in ("ENERGY", 1):
        acc.frozen_energy += amount
    else:
        acc.frozen_bandwidth += amount
    return _stored(p, "SUCCESS", Receipt(), charge)


def trigger(chain: DevnodeChain, p: ParsedTx) -> StoredTx:
    """VMActuator for USDT: energy limit from stake + balance capped by fee_limit, then payEnergyBill."""
    params = chain.params
    contract = to_raw(str(p.value.get("contract_address", "")))
    if contract != USDT_ADDRESS:
        raise invalid("No contract or not a valid smart contract")
    fee_limit = _int(p.raw.get("fee_limit"))
    if fee_limit < 0 or fee_limit > params.max_fee_limit:
        raise invalid(f"feeLimit must be >= 0 and <= {params.max_fee_limit}")
    acc = _owner(chain, p, "TriggerSmartContract")
    call_value = _int(p.value.get("call_value"))
    if call_value > acc.balance:
        raise invalid("Validate InternalTransfer error, balance is not sufficient.")
    charge = _charge_bandwidth(chain, acc, p, False)
    apply_bandwidth(acc, charge, chain.head_slot)
    origin = chain.accounts.get(USDT_ORIGIN)
    terms = (CONSUME_USER_RESOURCE_PERCENT, ORIGIN_ENERGY_LIMIT)
    limits = call_limits(chain, acc, origin, fee_limit, call_value, *terms)
    outcome = chain.usdt.call(p.owner, bytes.fromhex(str(p.value.get("data", ""))))
    receipt = Receipt()
    res_message = ""
    if outcome.energy > limits.total:
        used, ret = limits.total, "OUT_OF_ENERGY"
        receipt.energy_penalty_total, res_message = out_of_energy(outcome, limits.total)
    elif outcome.reverted or call_value:  # USDT's functions are not payable
        used, ret = outcome.energy, "REVERT"
        receipt.energy_penalty_total = outcome.penalty
        res_message = "REVERT opcode executed"
    else:
        used, ret = outcome.energy, "SUCCESS"
        receipt.energy_penalty_total = outcome.penalty
        if outcome.commit is not None:
            outcome.commit()
    pay_energy_bill(chain, acc, origin, used, ret == "SUCCESS", limits, *terms, receipt)
    acc.latest_opration_time = chain.head.timestamp
    receipt.result = ret
    tx = _stored(p, ret, receipt, charge)
    tx.contract_address = contract
    tx.res_message = res_message
    if ret == "SUCCESS":
        tx.contract_result, tx.logs = outcome.output, outcome.logs
    return tx


ACTUATORS = {
    "TransferContract": transfer,
    "TriggerSmartContract": trigger,
    "FreezeBalanceV2Contract": freeze_v2,
}
