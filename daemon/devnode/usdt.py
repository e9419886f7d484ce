"""The USDT TRC20 contract at its mainnet address: balances, ABI, calls and their energy (tron.md §2/§3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from daemon.tron.addresses import keccak256, show, to_raw

USDT_BASE58 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
USDT_ADDRESS = to_raw(USDT_BASE58)
USDT_ORIGIN = to_raw("THPvaUhoh2Qn2y9THCZML3H815hhFhn5YC")  # Tether's deployer account on mainnet

# A transfer to a holder: the mainnet capture in tron.md §2 (energy_used 64,285 incl. penalty 49,635).
HOLDER_ENERGY = 64_285
HOLDER_PENALTY = 49_635
# To an empty balance the base grows by 15,000 (new SSTORE: 29,631 vs 14,631, §3) and the
# max dynamic factor 3.4 multiplies it by 4.4: 64,285 + 66,000 = 130,285 (§3 "≈130,285").
EMPTY_ENERGY = HOLDER_ENERGY + 15_000 * 44 // 10
EMPTY_PENALTY = HOLDER_PENALTY + 15_000 * 34 // 10
# Not in tron.md: a failing `require` reverts early; the devnode charges 1,000 base × 4.4.
REVERT_ENERGY = 4_400
REVERT_PENALTY = 3_400
VIEW_ENERGY = 935  # balanceOf on Nile: tests/devnode/golden/triggerconstantcontract_nile_docs.json
# Mainnet USDT's contract settings (docs/devnode-fidelity.md): the origin pays 70 % while its stake lasts.
CONSUME_USER_RESOURCE_PERCENT = 30
ORIGIN_ENERGY_LIMIT = 10_000_000
# Dynamic energy at factor 3.4: an opcode costs base × 4.4, base × 3.4 of it penalty (devnode-fidelity.md, 8).
FACTOR_TENTHS = 44
# A transfer's last opcode is the recipient's SSTORE: 5,000 to a holder's slot, 20,000 to an empty one.
HOLDER_SSTORE = 5_000
EMPTY_SSTORE = 20_000
SLOAD = 50

TRANSFER_TOPIC = keccak256(b"Transfer(address,address,uint256)")


def selector(signature: str) -> bytes:
    """First four bytes of keccak256 of the function signature."""
    return keccak256(signature.encode())[:4]


def _fn(name: str, inputs: list[tuple[str, str]], outputs: list[str], mutability: str) -> dict[str, Any]:
    # java-tron prints ABI enums capitalised ("Function", "View"); tronpy lowercases them.
    entry: dict[str, Any] = {"outputs": [{"type": t} for t in outputs]}
    if inputs:
        entry["inputs"] = [{"name": n, "type": t} for n, t in inputs]
    if mutability == "View":
        entry["constant"] = True
    entry.update({"name": name, "stateMutability": mutability, "type": "Function"})
    return entry


ABI: list[dict[str, Any]] = [
    _fn("name", [], ["string"], "View"),
    _fn("symbol", [], ["string"], "View"),
    _fn("decimals", [], ["uint8"], "View"),
    _fn("totalSupply", [], ["uint256"], "View"),
    _fn("balanceOf", [("who", "address")], ["uint256"], "View"),
    _fn("transfer", [("_to", "address"), ("_value", "uint256")], ["bool"], "Nonpayable"),
    {
        "inputs": [
            {"indexed": True, "name": "from", "type": "address"},
            {"indexed": True, "name": "to", "type": "address"},
            {"name": "value", "type": "uint256"},
        ],
        "name": "Transfer",
        "type": "Event",
    },
]


def word(value: int) -> bytes:
    """One 32-byte ABI word."""
    return value.to_bytes(32, "big")


def _string(text: str) -> bytes:
    data = text.encode()
    return word(32) + word(len(data)) + data.ljust((len(data) + 31) // 32 * 32, b"\0")


@dataclass(frozen=True, slots=True)
class Log:
    """An EVM log: the emitting contract, topics and data."""

    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(slots=True)
class CallOutcome:
    """What executing (or simulating) a call costs and returns; `commit` applies its state change."""

    energy: int
    penalty: int
    output: bytes = b""
    reverted: bool = False
    logs: list[Log] = field(default_factory=list)
    commit: Callable[[], None] | None = None
    sstore: int = 0  # base energy of the closing SSTORE (transfers), 0 when the call has none


class UnknownFunction(Exception):
    """The selector matches nothing in the contract (the call reverts)."""


@dataclass(slots=True)
class Usdt:
    """Tether USD (USDT), 6 decimals."""

    balances: dict[bytes, int] = field(default_factory=dict)

    def total_supply(self) -> int:
        """Sum of all balances (the devnode mints at start only)."""
        return sum(self.balances.values())

    def call(self, caller: bytes, data: bytes) -> CallOutcome:
        """Execute `data` as `caller`; state changes only when the outcome's `commit` is invoked."""
        sel, args = data[:4], data[4:]
        if sel == selector("balanceOf(address)") and len(args) >= 32:
            who = b"\x41" + args[12:32]
            return CallOutcome(VIEW_ENERGY, 0, word(self.balances.get(who, 0)))
        if sel == selector("transfer(address,uint256)") and len(args) >= 64:
            return self._transfer(caller, b"\x41" + args[12:32], int.from_bytes(args[32:64], "big"))
        views: dict[bytes, bytes] = {
            selector("name()"): _string("Tether USD"),
            selector("symbol()"): _string("USDT"),
            selector("decimals()"): word(6),
            selector("totalSupply()"): word(self.total_supply()),
        }
        if sel in views:
            return CallOutcome(VIEW_ENERGY, 0, views[sel])
        return CallOutcome(REVERT_ENERGY, REVERT_PENALTY, reverted=True)

    def _transfer(self, sender: bytes, to: bytes, value: int) -> CallOutcome:
        have = self.balances.get(sender, 0)
        if value > have:
            return CallOutcome(REVERT_ENERGY, REVERT_PENALTY, reverted=True)
        holder = self.balances.get(to, 0) > 0 or to == sender
        energy, penalty = (HOLDER_ENERGY, HOLDER_PENALTY) if holder else (EMPTY_ENERGY, EMPTY_PENALTY)
        log = Log(USDT_ADDRESS, (TRANSFER_TOPIC, bytes(12) + sender[1:], bytes(12) + to[1:]), word(value))

        def commit() -> None:
            self.balances[sender] = self.balances.get(sender, 0) - value
            self.balances[to] = self.balances.get(to, 0) + value

        # Tether's transfer() returns false even on success (docs/devnode-fidelity.md, fact 4).
        sstore = HOLDER_SSTORE if holder else EMPTY_SSTORE
        return CallOutcome(energy, penalty, word(0), logs=[log], commit=commit, sstore=sstore)

    def transfer_energy(self, to: bytes) -> int:
        """Energy a transfer to `to` would use now."""
        return HOLDER_ENERGY if self.balances.get(to, 0) > 0 else EMPTY_ENERGY


def out_of_energy(outcome: CallOutcome, limit: int) -> tuple[int, str]:
    """(energy_penalty_total, resMessage) when `limit` runs out during the call (spendEnergyWithPenalty)."""
    op, base = "SSTORE", outcome.sstore
    used = outcome.energy - base * FACTOR_TENTHS // 10
    penalty_before = outcome.penalty - base * (FACTOR_TENTHS - 10) // 10
    if base == 0 or limit < used:
        # Modelled: the energy before the SSTORE as a run of SLOADs; the first that does not fit fails.
        op, base = "SLOAD", SLOAD
        step = base * FACTOR_TENTHS // 10
        used = min(limit, outcome.energy) // step * step
        penalty_before = used // step * (step - base)
    op_penalty = base * (FACTOR_TENTHS - 10) // 10
    message = (
        f"Not enough energy for '{op}' operation executing: curInvokeEnergyLimit[{limit}], "
        f"curOpEnergy[{base}], penaltyEnergy[{op_penalty}], usedEnergy[{used}]"
    )
    return penalty_before, message


def contract_json(visible: bool) -> dict[str, Any]:
    """getcontract's SmartContract message for USDT (bytecode omitted: the devnode runs no TVM)."""
    return {
        "origin_address": show(USDT_ORIGIN, visible),
        "contract_address": show(USDT_ADDRESS, visible),
        "abi": {"entrys": ABI},
        "consume_user_resource_percent": CONSUME_USER_RESOURCE_PERCENT,
        "name": "TetherToken",
        "origin_energy_limit": ORIGIN_ENERGY_LIMIT,
        "code_hash": keccak256(b"devnode-usdt").hex(),
    }
