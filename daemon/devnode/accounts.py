"""Devnode accounts: the state java-tron keeps per account, and loading them from YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from daemon.tron.addresses import AddressError, address_of_key, b58, key_from_seed, to_raw

SUN = 1_000_000
USDT_UNIT = 1_000_000  # USDT has 6 decimals


@dataclass(slots=True)
class Account:
    """One account; usage fields are stored un-decayed with the slot of their last update, as java-tron."""

    address: bytes
    balance: int = 0
    create_time: int = 0
    latest_opration_time: int = 0
    frozen_energy: int = 0
    frozen_bandwidth: int = 0
    # Stake 2.0 delegation balances in sun (Account / AccountResource *_frozenV2_* fields).
    delegated_energy: int = 0
    acquired_energy: int = 0
    delegated_bandwidth: int = 0
    acquired_bandwidth: int = 0
    unfrozen: list[tuple[str, int, int]] = field(default_factory=list)  # (resource, sun, expire ms)
    energy_usage: int = 0
    energy_slot: int = 0
    energy_window: int = 0  # ×1000 (energy_window_optimized); 0 = never set
    net_usage: int = 0
    net_slot: int = 0
    net_window: int = 0
    free_net_usage: int = 0
    free_net_slot: int = 0
    name: str = ""
    private_key: bytes | None = None
    pool: bool = False


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """An account as configured: start balances and stake; usage applied at the chain's start slot."""

    address: bytes
    name: str = ""
    private_key: bytes | None = None
    balance: int = 0
    usdt: int = 0
    frozen_energy: int = 0
    frozen_bandwidth: int = 0
    energy_used: int = 0
    pool: bool = False

    @property
    def base58(self) -> str:
        """The address in base58check."""
        return b58(self.address)


class AccountsFileError(ValueError):
    """The accounts YAML is malformed; the message names the entry and field."""


def _amount(entry: dict[str, Any], key: str, unit: int, where: str) -> int:
    """A whole/decimal amount in display units -> integer base units (sun, USDT units)."""
    value = entry.get(key, 0)
    try:
        scaled = Decimal(str(value)) * unit
    except InvalidOperation as exc:
        raise AccountsFileError(f"{where}: {key} must be a number, got {value!r}") from exc
    if scaled < 0 or scaled != scaled.to_integral_value():
        raise AccountsFileError(f"{where}: {key} must be >= 0 with at most 6 decimals")
    return int(scaled)


def spec_from_mapping(entry: dict[str, Any], where: str = "account") -> AccountSpec:
    """Validate one account mapping (YAML or control API) into an AccountSpec."""
    known = {"name", "seed", "private_key", "address", "trx", "usdt", "staked_energy_trx"}
    known |= {"staked_bandwidth_trx", "energy_used", "pool"}
    unknown = set(entry) - known
    if unknown:
        raise AccountsFileError(f"{where}: unknown field(s) {sorted(unknown)}; allowed {sorted(known)}")
    key: bytes | None = None
    if entry.get("private_key"):
        try:
            key = bytes.fromhex(str(entry["private_key"]))
        except ValueError as exc:
            raise AccountsFileError(f"{where}: private_key must be 64 hex chars") from exc
        if len(key) != 32:
            raise AccountsFileError(f"{where}: private_key must be 64 hex chars")
    elif entry.get("seed"):
        key = key_from_seed(str(entry["seed"]))
    address: bytes | None = None
    if entry.get("address"):
        try:
            address = to_raw(str(entry["address"]))
        except AddressError as exc:
            raise AccountsFileError(f"{where}: {exc}") from exc
    if key is not None:
        derived = address_of_key(key)
        if address is not None and address != derived:
            raise AccountsFileError(f"{where}: address does not match its key (expected {b58(derived)})")
        address = derived
    if address is None:
        raise AccountsFileError(f"{where}: needs one of address, private_key, seed")
    energy_used = entry.get("energy_used", 0)
    if not isinstance(energy_used, int) or energy_used < 0:
        raise AccountsFileError(f"{where}: energy_used must be a non-negative integer")
    return AccountSpec(
        address=address,
        name=str(entry.get("name", "")),
        private_key=key,
        balance=_amount(entry, "trx", SUN, where),
        usdt=_amount(entry, "usdt", USDT_UNIT, where),
        frozen_energy=_amount(entry, "staked_energy_trx", SUN, where),
        frozen_bandwidth=_amount(entry, "staked_bandwidth_trx", SUN, where),
        energy_used=energy_used,
        pool=bool(entry.get("pool", False)),
    )


def load_accounts(path: Path) -> list[AccountSpec]:
    """Read `accounts: [...]` from a YAML file."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AccountsFileError(f"{path}: {exc}") from exc
    entries = doc.get("accounts") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise AccountsFileError(f"{path}: expected a mapping with an 'accounts' list")
    specs: list[AccountSpec] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise AccountsFileError(f"{path}: accounts[{i}] must be a mapping")
        specs.append(spec_from_mapping(entry, f"{path}: accounts[{i}] ({entry.get('name', '?')})"))
    seen: set[bytes] = set()
    for spec in specs:
        if spec.address in seen:
            raise AccountsFileError(f"{path}: duplicate account {spec.base58}")
        seen.add(spec.address)
    return specs


DEMO_ACCOUNTS = Path(__file__).with_name("demo_accounts.yml")


def demo_accounts() -> list[AccountSpec]:
    """The shipped demo set: three pools with staked TRX and a few users."""
    return load_accounts(DEMO_ACCOUNTS)
