"""Background USDT traffic from a pool: signed by the pool key, through the normal broadcast path."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from daemon.devnode.accounts import Account
from daemon.devnode.chain import DevnodeChain
from daemon.devnode.proto import encode_raw, txid_of
from daemon.devnode.transactions import broadcast
from daemon.devnode.usdt import USDT_ADDRESS, selector, word
from daemon.tron.addresses import address_of_key, b58, key_from_seed, sign_hash
from daemon.tron.energy import SLOT_MS

log = logging.getLogger(__name__)

HOLDERS = [address_of_key(key_from_seed(f"traffic-holder-{i}")) for i in range(8)]
HOUR_MS = 3_600_000
FEE_LIMIT = 100_000_000  # 100 TRX: enough for a 130k transfer at up to ~760 sun/energy


@dataclass(slots=True)
class Generator:
    """One pool's stream: `per_hour` transfers per chain hour, a fraction of them to new addresses."""

    pool: Account
    per_hour: float
    amount: int = 1_000_000  # 1 USDT
    new_ratio: float = 0.0
    due: float = 0.0  # in units of per_hour × slot ms; one transfer per 3,600,000
    due_new: float = 0.0
    sent: int = 0
    refused: int = 0
    results: dict[str, int] = field(default_factory=dict)
    seq: int = 0
    schedule: tuple[float, ...] | None = None  # transfers per hour for each UTC hour of chain time

    def rate_at(self, chain_ms: int) -> float:
        """Transfers per hour at this chain time: the daily schedule's hour, else the flat rate."""
        if self.schedule is None:
            return self.per_hour
        return self.schedule[(chain_ms // HOUR_MS) % len(self.schedule)]

    def status(self) -> dict[str, Any]:
        """JSON view for the control API."""
        return {
            "pool": b58(self.pool.address),
            "name": self.pool.name,
            "transfers_per_hour": self.per_hour,
            "schedule": list(self.schedule) if self.schedule is not None else None,
            "new_recipient_ratio": self.new_ratio,
            "amount_usdt_units": self.amount,
            "sent": self.sent,
            "refused": self.refused,
            "results": dict(self.results),
        }


class Traffic:
    """Generators keyed by pool address; runs as a block hook so clock advances replay the traffic."""

    def __init__(self, chain: DevnodeChain) -> None:
        self.chain = chain
        self.generators: dict[bytes, Generator] = {}
        chain.block_hooks.append(self.on_block)

    def start(
        self,
        pool: Account,
        per_hour: float,
        *,
        amount: int = 1_000_000,
        new_ratio: float = 0.0,
        schedule: list[float] | None = None,
    ) -> Generator:
        """Start (or retune) the generator for `pool`; it needs the pool's private key."""
        if pool.private_key is None:
            raise ValueError(f"account {b58(pool.address)} has no private key to sign with")
        if per_hour < 0 or not 0 <= new_ratio <= 1 or amount <= 0:
            raise ValueError("transfers_per_hour >= 0, 0 <= new_recipient_ratio <= 1, amount > 0")
        if schedule is not None and (len(schedule) != 24 or any(n < 0 for n in schedule)):
            raise ValueError("schedule: 24 transfer counts >= 0, one per UTC hour of chain time")
        for holder in HOLDERS:  # recipients already hold USDT, so a transfer costs the holder rate
            self.chain.usdt.balances.setdefault(holder, 1)
        gen = self.generators.get(pool.address)
        if gen is None:
            gen = Generator(pool, per_hour, amount, new_ratio)
            self.generators[pool.address] = gen
        else:
            gen.per_hour, gen.amount, gen.new_ratio = per_hour, amount, new_ratio
        gen.schedule = tuple(schedule) if schedule is not None else None
        log.info("event=traffic_started pool=%s per_hour=%s new_ratio=%s", pool.name, per_hour, new_ratio)
        return gen

    def stop(self, address: bytes) -> bool:
        """Stop one pool's generator."""
        gen = self.generators.pop(address, None)
        if gen is not None:
            log.info("event=traffic_stopped pool=%s sent=%d", gen.pool.name, gen.sent)
        return gen is not None

    def on_block(self) -> None:
        """Before each block: send the transfers that fall due in this 3 s slot."""
        slot_ms = self.chain.head.timestamp + SLOT_MS  # the block about to be made
        for gen in list(self.generators.values()):
            # Accumulate in ms units so integer rates stay exact (0.1 per block would drift).
            gen.due += gen.rate_at(slot_ms) * SLOT_MS
            while gen.due >= HOUR_MS:
                gen.due -= HOUR_MS
                gen.due_new += gen.new_ratio
                fresh = gen.due_new >= 1 - 1e-9
                if fresh:
                    gen.due_new -= 1
                self._send(gen, fresh)

    def _send(self, gen: Generator, fresh: bool) -> None:
        assert gen.pool.private_key is not None
        gen.seq += 1
        if fresh:
            to = address_of_key(key_from_seed(f"traffic-new-{b58(gen.pool.address)}-{gen.seq}"))
        else:
            to = HOLDERS[gen.seq % len(HOLDERS)]
        head = self.chain.head
        data = selector("transfer(address,uint256)") + bytes(12) + to[1:] + word(gen.amount)
        value = {
            "owner_address": gen.pool.address.hex(),
            "contract_address": USDT_ADDRESS.hex(),
            "data": data.hex(),
        }
        raw = {
            "ref_block_bytes": head.block_id[6:8].hex(),
            "ref_block_hash": head.block_id[8:16].hex(),
            "expiration": head.timestamp + 60_000,
            "contract": [
                {
                    "parameter": {
                        "value": value,
                        "type_url": "type.googleapis.com/protocol.TriggerSmartContract",
                    },
                    "type": "TriggerSmartContract",
                }
            ],
            "timestamp": head.timestamp + gen.seq % SLOT_MS,  # distinct txIDs within one block
            "fee_limit": FEE_LIMIT,
        }
        txid = txid_of(encode_raw(raw))
        sig = sign_hash(gen.pool.private_key, bytes.fromhex(txid))
        answer = broadcast(self.chain, {"raw_data": raw, "signature": [sig.hex()]})
        if answer.get("result") is True:
            gen.sent += 1
            ret = self.chain.txs[txid].contract_ret
            gen.results[ret] = gen.results.get(ret, 0) + 1
        else:
            gen.refused += 1
            code = str(answer.get("code", "ERROR"))
            gen.results[code] = gen.results.get(code, 0) + 1
