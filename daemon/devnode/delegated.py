"""Stake 2.0 delegation records and the account index, kept as java-tron's stores keep them."""

from __future__ import annotations

from dataclasses import dataclass, field

Key = tuple[bytes, bytes, bool]  # (from, to, locked): DelegatedResourceCapsule.createDbKeyV2


@dataclass(slots=True)
class DelegatedResource:
    """One DelegatedResource message: balances in sun, expiry in ms (0 when not locked)."""

    from_address: bytes
    to_address: bytes
    energy: int = 0
    bandwidth: int = 0
    expire_energy: int = 0
    expire_bandwidth: int = 0

    def empty(self) -> bool:
        """Wallet.nonEmptyResource's negation: nothing delegated and no expiry."""
        return not (self.energy or self.bandwidth or self.expire_energy or self.expire_bandwidth)


@dataclass(slots=True)
class DelegationStore:
    """DelegatedResourceStore (unlocked and locked record per pair) and the V2 account index."""

    records: dict[Key, DelegatedResource] = field(default_factory=dict)
    index: dict[tuple[bytes, bytes], int] = field(default_factory=dict)  # (from, to) -> last delegate ms

    def get(self, frm: bytes, to: bytes, locked: bool) -> DelegatedResource | None:
        """The record under one key, or None."""
        return self.records.get((frm, to, locked))

    def pair_exists(self, frm: bytes, to: bytes) -> bool:
        """Whether either record of the pair exists."""
        return (frm, to, False) in self.records or (frm, to, True) in self.records

    def get_or_new(self, frm: bytes, to: bytes, locked: bool) -> DelegatedResource:
        """The record under one key, created empty when absent."""
        return self.records.setdefault((frm, to, locked), DelegatedResource(frm, to))

    def put_or_drop(self, rec: DelegatedResource, locked: bool) -> None:
        """Keep a record that still holds a balance; delete an emptied one."""
        key = (rec.from_address, rec.to_address, locked)
        if rec.energy == 0 and rec.bandwidth == 0:
            self.records.pop(key, None)
        else:
            self.records[key] = rec

    def unlock_expired(self, frm: bytes, to: bytes, now_ms: int) -> None:
        """DelegatedResourceStore.unLockExpireResource: expired locked balances become unlocked."""
        locked = self.get(frm, to, True)
        if locked is None or (locked.expire_energy >= now_ms and locked.expire_bandwidth >= now_ms):
            return
        unlocked = self.get_or_new(frm, to, False)
        if locked.expire_energy < now_ms:
            unlocked.energy += locked.energy
            locked.energy, locked.expire_energy = 0, 0
        if locked.expire_bandwidth < now_ms:
            unlocked.bandwidth += locked.bandwidth
            locked.bandwidth, locked.expire_bandwidth = 0, 0
        if locked.energy == 0 and locked.bandwidth == 0:
            self.records.pop((frm, to, True), None)
        self.records[(frm, to, False)] = unlocked

    def counterparts(self, address: bytes) -> tuple[list[bytes], list[bytes]]:
        """getV2Index: (accounts it delegates from, accounts it delegates to), each by delegate time."""
        froms = sorted((ts, f) for (f, t), ts in self.index.items() if t == address)
        tos = sorted((ts, t) for (f, t), ts in self.index.items() if f == address)
        return [a for _, a in froms], [a for _, a in tos]


@dataclass(slots=True)
class PriceHistory:
    """DynamicPropertiesStore's price history: "0:<fee>" plus "<ms>:<fee>" each time the fee changed."""

    entries: list[tuple[int, int]]

    def observe(self, at_ms: int, fee: int) -> None:
        """Append the fee when it differs from the last entry (a proposal took effect)."""
        if self.entries[-1][1] != fee:
            self.entries.append((at_ms, fee))

    def render(self) -> str:
        """The comma-separated string getenergyprices/getbandwidthprices print."""
        return ",".join(f"{ms}:{fee}" for ms, fee in self.entries)
