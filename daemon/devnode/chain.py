"""The simulated chain: clock, blocks, accounts, transactions and the per-pool energy ledger."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from daemon.devnode.accounts import Account, AccountSpec
from daemon.devnode.delegated import DelegationStore, PriceHistory
from daemon.devnode.proto import block_header_raw, block_id, merkle_root
from daemon.devnode.resources import ChainParams, own_stakes, spend_energy
from daemon.devnode.usdt import Usdt
from daemon.tron.addresses import address_of_key, key_from_seed
from daemon.tron.energy import SLOT_MS

log = logging.getLogger(__name__)

SOLID_LAG = 18  # solidified 18 blocks behind head (docs/tron.md#finality)
TAPOS_BLOCKS = 65_536  # recent-block store keyed by 2 bytes (docs/tron.md#finality)
DAY_MS = 86_400_000
INITIAL_BLOCKS = 24  # history at start, so a solid block exists for TaPoS from the first request
BLOCK_VERSION = 32
WITNESS_KEY = key_from_seed("devnode-witness")
WITNESS = address_of_key(WITNESS_KEY)


@dataclass(slots=True)
class Receipt:
    """ResourceReceipt: who paid what for one transaction."""

    energy_usage: int = 0
    energy_fee: int = 0
    origin_energy_usage: int = 0  # the contract origin's share (consume_user_resource_percent < 100)
    energy_usage_total: int = 0
    net_usage: int = 0
    net_fee: int = 0
    result: str = ""  # contractResult name for VM transactions; "" (DEFAULT, omitted) otherwise
    energy_penalty_total: int = 0


@dataclass(slots=True)
class StoredTx:
    """An accepted transaction with its execution result."""

    txid: str
    raw: dict[str, Any]
    raw_bytes: bytes
    signatures: list[bytes]
    contract_type: str
    owner: bytes
    contract_ret: str
    receipt: Receipt
    contract_result: bytes = b""
    contract_address: bytes = b""
    logs: list[Any] = field(default_factory=list)
    res_message: str = ""
    contract_fee: int = 0  # the actuator's own fee (ret.fee), e.g. creating the recipient's account
    block_number: int = -1
    block_ts: int = 0

    @property
    def fee(self) -> int:
        """TransactionInfo.fee: all sun burned (actuator fee + energy + bandwidth)."""
        return self.contract_fee + self.receipt.energy_fee + self.receipt.net_fee


@dataclass(slots=True)
class Block:
    """A produced block; the witness signature is made lazily when a block is printed."""

    number: int
    timestamp: int
    block_id: bytes
    parent: bytes
    tx_root: bytes
    txids: list[str]
    signature: bytes = b""


@dataclass(frozen=True, slots=True)
class Spend:
    """One transaction's energy in the ground-truth ledger."""

    ts: int
    total: int
    from_stake: int
    burned_sun: int


class ChainClock:
    """Chain time in ms: wall time at start, running at `speed`, plus explicit advances."""

    def __init__(self, speed: float, start_ms: int | None = None) -> None:
        self._anchor_ms = start_ms if start_ms is not None else time.time_ns() // 1_000_000
        self._anchor_mono = time.monotonic()
        self._speed = speed
        self.offset_ms = 0

    @property
    def speed(self) -> float:
        """Chain seconds per wall second (0 freezes the chain: blocks only on advance)."""
        return self._speed

    def set_speed(self, speed: float) -> None:
        """Change speed without a jump in chain time."""
        now = self.now_ms() - self.offset_ms
        self._anchor_ms, self._anchor_mono, self._speed = now, time.monotonic(), speed

    def now_ms(self) -> int:
        """Current chain time."""
        elapsed = (time.monotonic() - self._anchor_mono) * 1000 * self._speed
        return self._anchor_ms + int(elapsed) + self.offset_ms


class DevnodeChain:
    """All node state; mutated only from the event loop, never across an await."""

    def __init__(
        self, accounts: Iterable[AccountSpec] = (), *, speed: float = 1.0, params: ChainParams | None = None
    ) -> None:
        self.params = params or ChainParams()
        self.clock = ChainClock(speed)
        self.accounts: dict[bytes, Account] = {}
        self.usdt = Usdt()
        self.txs: dict[str, StoredTx] = {}
        self.pending: list[StoredTx] = []
        self.ledger: dict[bytes, deque[Spend]] = {}
        self._recent: dict[bytes, bytes] = {}
        self.delegations = DelegationStore()
        self._stakes: tuple[int, int] | None = None  # own_stakes(), until a stake changes
        self.energy_prices = PriceHistory([(0, self.params.energy_fee)])
        self.bandwidth_prices = PriceHistory([(0, self.params.transaction_fee)])
        # Run before each block is sealed, against the previous head (the traffic generator).
        self.block_hooks: list[Callable[[], None]] = []
        genesis_raw = block_header_raw(0, 0, bytes(32), bytes(32), WITNESS, BLOCK_VERSION)
        self.blocks: list[Block] = [Block(0, 0, block_id(0, genesis_raw), bytes(32), bytes(32), [])]
        self.by_id: dict[bytes, int] = {self.blocks[0].block_id: 0}
        first_slot = self.clock.now_ms() // SLOT_MS - INITIAL_BLOCKS
        for i in range(INITIAL_BLOCKS):
            self._produce((first_slot + i + 1) * SLOT_MS)
        for spec in accounts:
            self.add_account(spec)

    # -- time and blocks ---------------------------------------------------------------------
    @property
    def head(self) -> Block:
        """The latest block."""
        return self.blocks[-1]

    @property
    def solid(self) -> Block:
        """The latest solidified block."""
        return self.blocks[max(0, len(self.blocks) - 1 - SOLID_LAG)]

    @property
    def head_slot(self) -> int:
        """Slot of the head block: timestamp / 3 s (genesis at 0, as on mainnet)."""
        return self.head.timestamp // SLOT_MS

    def catch_up(self) -> int:
        """Produce every block whose slot time has come; returns how many."""
        target = self.clock.now_ms() // SLOT_MS * SLOT_MS
        n = 0
        while self.head.timestamp + SLOT_MS <= target:
            self._produce(self.head.timestamp + SLOT_MS)
            n += 1
        return n

    def advance(self, seconds: float) -> int:
        """Move chain time forward, producing the blocks in between; returns blocks produced."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self.clock.offset_ms += int(seconds * 1000)
        n = self.catch_up()
        log.info("event=clock_advanced seconds=%s blocks=%d head=%d", seconds, n, self.head.number)
        return n

    def next_block_delay(self) -> float:
        """Wall seconds until the next block is due (inf when the clock is frozen)."""
        if self.clock.speed <= 0:
            return float("inf")
        due = self.head.timestamp + SLOT_MS - self.clock.now_ms()
        return max(0.0, due / 1000 / self.clock.speed)

    def _produce(self, timestamp: int) -> None:
        # A fee changed through the control API takes effect with the next block, as a proposal would.
        self.energy_prices.observe(timestamp, self.params.energy_fee)
        self.bandwidth_prices.observe(timestamp, self.params.transaction_fee)
        for hook in self.block_hooks:
            hook()
        parent = self.head
        number = parent.number + 1
        txs, self.pending = self.pending, []
        leaves = [hashlib.sha256(t.raw_bytes).digest() for t in txs]
        root = merkle_root(leaves)
        raw = block_header_raw(number, timestamp, root, parent.block_id, WITNESS, BLOCK_VERSION)
        bid = block_id(number, raw)
        for t in txs:
            t.block_number, t.block_ts = number, timestamp
        block = Block(number, timestamp, bid, parent.block_id, root, [t.txid for t in txs])
        self.blocks.append(block)
        self.by_id[bid] = number
        self._recent[bid[6:8]] = bid[8:16]

    def tapos_ok(self, ref_bytes: bytes, ref_hash: bytes) -> bool:
        """Manager.validateTapos: the 2-byte ref must name a recent block with that hash."""
        return len(ref_bytes) == 2 and self._recent.get(ref_bytes) == ref_hash

    def block_at(self, number: int) -> Block | None:
        """Block by number, or None."""
        return self.blocks[number] if 0 <= number < len(self.blocks) else None

    # -- accounts --------------------------------------------------------------------------------
    def add_account(self, spec: AccountSpec) -> Account:
        """Create (or top up) an account from a spec at the current head."""
        acc = self.accounts.get(spec.address)
        now = self.head.timestamp
        if acc is None:
            acc = Account(address=spec.address, create_time=now, name=spec.name, pool=spec.pool)
            self.accounts[spec.address] = acc
        acc.private_key = spec.private_key or acc.private_key
        acc.name = spec.name or acc.name
        acc.pool = acc.pool or spec.pool
        acc.balance += spec.balance
        acc.frozen_energy += spec.frozen_energy
        acc.frozen_bandwidth += spec.frozen_bandwidth
        self.stakes_changed()
        if spec.energy_used:
            spend_energy(acc, spec.energy_used, self.head_slot)
        if spec.usdt:
            self.usdt.balances[spec.address] = self.usdt.balances.get(spec.address, 0) + spec.usdt
        log.info("event=account_added address=%s name=%s pool=%s", spec.base58, spec.name, spec.pool)
        return acc

    def account_by_name(self, name: str) -> Account | None:
        """Find an account by its configured name."""
        return next((a for a in self.accounts.values() if a.name == name), None)

    def energy_weight(self) -> int:
        """TotalEnergyWeight now, in whole TRX: the rest of the network plus the devnode's own stakes."""
        return self.params.other_energy_weight + self._own_stakes()[0]

    def net_weight(self) -> int:
        """TotalNetWeight now, in whole TRX."""
        return self.params.other_net_weight + self._own_stakes()[1]

    def stakes_changed(self) -> None:
        """Forget the summed stakes: an account was added or a transaction ran (stakes change only then)."""
        self._stakes = None

    def _own_stakes(self) -> tuple[int, int]:
        # java-tron keeps the totals as dynamic properties; summing 1,000 accounts on every
        # getaccountresource was about half of its CPU (py-spy).
        if self._stakes is None:
            self._stakes = own_stakes(self.accounts.values())
        return self._stakes

    # -- transactions ----------------------------------------------------------------------------
    def accept(self, tx: StoredTx) -> None:
        """Record an executed transaction as pending for the next block."""
        self.txs[tx.txid] = tx
        self.pending.append(tx)
        total = tx.receipt.energy_usage_total
        if total:
            spend = Spend(self.head.timestamp, total, tx.receipt.energy_usage, tx.receipt.energy_fee)
            self.ledger.setdefault(tx.owner, deque()).append(spend)

    def spent_last_day(self, owner: bytes) -> tuple[int, int, int, int]:
        """(energy total, from stake, burned sun, tx count) spent by `owner` in the trailing 24 h."""
        entries = self.ledger.get(owner)
        if not entries:
            return 0, 0, 0, 0
        cutoff = self.head.timestamp - DAY_MS
        while entries and entries[0].ts <= cutoff:
            entries.popleft()
        return (
            sum(e.total for e in entries),
            sum(e.from_stake for e in entries),
            sum(e.burned_sun for e in entries),
            len(entries),
        )
