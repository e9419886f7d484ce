"""Carry one action forward, exactly once: check the chain for its effect before any (re)send.

planned -> approved -> signing (txid known: it is the hash of the unsigned transaction) -> broadcast
-> confirmed | failed. After a crash an action in `signing` or `broadcast` is settled from the chain: its
transaction found, or the delegation/stake it makes already there, means confirmed; only an action whose
transaction has expired unseen, with no effect on chain, is built and sent again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
from tronpy.async_tron import AsyncTransaction
from tronpy.exceptions import TransactionNotFound

from daemon.autopilot import actions_repo as repo
from daemon.autopilot.signer import Signers
from daemon.db.types import Connection, Record
from daemon.tron.client import TronClient

log = logging.getLogger(__name__)

UNCERTAIN = (httpx.TransportError, OSError, TimeoutError)  # no answer: the node may have taken it


async def on_chain_sun(tron: TronClient, row: Record) -> int:
    """What the action changes, as the chain shows it now: delegated sun for the pair, or staked sun."""
    if row["kind"] == "stake":
        account = await tron.get_account(row["owner_address"]) or {}
        return sum(int(f.get("amount", 0)) for f in account.get("frozenV2", []) if f.get("type") == "ENERGY")
    records = await tron.get_delegated_resource(row["owner_address"], row["receiver_address"])
    return sum(int(r.get("frozen_balance_for_energy", 0)) for r in records)


def effect_done(row: Record, now_sun: int) -> bool:
    """Whether the chain already shows the action's effect against the baseline read before signing."""
    base = row["baseline_sun"]
    if base is None:
        return False
    if row["kind"] == "undelegate":
        return bool(now_sun <= base - row["amount_sun"])
    return bool(now_sun >= base + row["amount_sun"])


async def build(tron: TronClient, row: Record) -> AsyncTransaction:
    """The unsigned transaction, built by the node."""
    trx, owner, amount = tron.raw.trx, row["owner_address"], row["amount_sun"]
    if row["kind"] == "stake":
        builder = trx.freeze_balance(owner, amount, "ENERGY")
    elif row["kind"] == "delegate":
        lock = row["lock_blocks"] > 0
        builder = trx.delegate_resource(
            owner, row["receiver_address"], amount, "ENERGY", lock, row["lock_blocks"] if lock else None
        )
    else:
        builder = trx.undelegate_resource(owner, row["receiver_address"], amount, "ENERGY")
    txn: AsyncTransaction = await builder.build()
    return txn


class Actuator:
    """Moves open actions forward on the chain; one instance per leading cycle."""

    def __init__(self, conn: Connection, tron: TronClient, signers: Signers) -> None:
        self.conn, self.tron, self.signers = conn, tron, signers

    async def advance(self, row: Record) -> Record:
        """One step for an approved, signing or broadcast action; returns the row as it now is."""
        if row["state"] == "approved":
            return await self._start(row)
        if row["state"] in ("signing", "broadcast"):
            return await self._settle(row)
        return row

    async def _start(self, row: Record) -> Record:
        baseline = await on_chain_sun(self.tron, row)
        try:
            txn = await build(self.tron, row)
        except Exception as exc:  # the node refused to build it: nothing was sent
            return await self._fail(row, ("approved",), f"node refused the transaction: {exc}")
        expires = int(txn._raw_data["expiration"])
        # An executor signs it elsewhere: hand over the unsigned transaction, ready to be claimed.
        executor = self.signers.kind(row["owner_address"]) == "executor"
        handoff = {"unsigned_tx": txn.to_json(), "claimed_until": None} if executor else {}
        # The txid is stored before the broadcast: a crash after it leaves a record the chain can settle.
        moved = await repo.move(
            self.conn,
            row["id"],
            ("approved",),
            "signing",
            baseline_sun=baseline,
            txid=txn.txid,
            expires_at=_ms(expires),
            **handoff,
        )
        if executor or moved is None:
            return moved or row
        try:
            await txn.sign(self.signers.key(row["owner_address"])).broadcast()
        except UNCERTAIN as exc:
            # It may have reached the node: leave it to be settled from the chain, never resent blindly.
            log.warning(
                "autopilot broadcast unanswered, settling from the chain id=%d error=%r", row["id"], exc
            )
            return moved
        except Exception as exc:  # the node answered with a refusal: nothing was applied
            return await self._fail(moved, ("signing",), f"broadcast refused: {exc}")
        log.info("autopilot action broadcast id=%d kind=%s txid=%s", row["id"], row["kind"], txn.txid)
        return await repo.move(self.conn, row["id"], ("signing",), "broadcast") or moved

    async def _settle(self, row: Record) -> Record:
        if row["txid"]:
            try:
                info = await self.tron.raw.get_transaction_info(row["txid"])
            except TransactionNotFound:
                info = None
            if info:
                result = info.get("receipt", {}).get("result", "SUCCESS")
                if info.get("result") == "FAILED" or result != "SUCCESS":
                    return await self._fail(row, ("signing", "broadcast"), f"transaction failed: {result}")
                return await self._confirm(row)
        if effect_done(row, await on_chain_sun(self.tron, row)):
            return await self._confirm(row)
        if row["expires_at"] is not None and await self._head_ms() > row["expires_at"].timestamp() * 1000:
            # Expired unseen and no effect on chain: it can never land, so building it again is safe.
            log.warning("autopilot action expired unconfirmed, rebuilding id=%d", row["id"])
            return (
                await repo.move(
                    self.conn,
                    row["id"],
                    ("signing", "broadcast"),
                    "approved",
                    error="expired unconfirmed; rebuilt",
                )
                or row
            )
        return row

    async def _confirm(self, row: Record) -> Record:
        log.info("autopilot action confirmed id=%d kind=%s txid=%s", row["id"], row["kind"], row["txid"])
        return await repo.move(self.conn, row["id"], ("signing", "broadcast"), "confirmed") or row

    async def _fail(self, row: Record, frm: tuple[str, ...], error: str) -> Record:
        log.warning("autopilot action failed id=%d kind=%s error=%s", row["id"], row["kind"], error)
        return await repo.move(self.conn, row["id"], frm, "failed", error=error[:500]) or row

    async def _head_ms(self) -> int:
        block = await self.tron.raw.get_latest_block()
        return int(block["block_header"]["raw_data"]["timestamp"])


def _ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
