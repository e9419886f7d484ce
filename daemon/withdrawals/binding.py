"""Binding a TRX payment to one quote: its unique amount, its optional payer, never our own wallets."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tronpy import keys

from daemon.db.types import Record
from daemon.tron.blocks import Transfer, hex_address

SUN_PER_TRX = Decimal(1_000_000)
# The fee is rounded up to 0.01 TRX and the tag fills the sun digits below it (1..9,999), so the
# user pays at most 0.02 TRX above the fee; when a base is full the next 0.01 TRX up is used.
STEP = 10_000
BASES = 10
OPEN = "pending_trx_payment"


def trx(sun: int) -> str:
    """Sun as "13.381234 TRX"."""
    return f"{Decimal(sun) / SUN_PER_TRX} TRX"


def b58(hex_addr: str) -> str:
    """A hex address (41…) in base58, for people."""
    try:
        return str(keys.to_base58check_address(hex_addr))
    except (ValueError, TypeError):
        return hex_addr


def base_of(fee_sun: int) -> int:
    """The fee rounded up to a whole STEP."""
    return -(-fee_sun // STEP) * STEP


def pick_amount(fee_sun: int, held: Iterable[int]) -> int | None:
    """A free amount: a random free tag in the lowest base that has one; None when all are taken."""
    taken = set(held)
    for n in range(BASES):
        base = base_of(fee_sun) + n * STEP
        free = [base + tag for tag in range(1, STEP) if base + tag not in taken]
        if free:
            return random.choice(free)
    return None


def search_range(fee_sun: int) -> tuple[int, int]:
    """[low, high) of the amounts pick_amount may return for this fee."""
    base = base_of(fee_sun)
    return base, base + BASES * STEP


@dataclass(frozen=True, slots=True)
class Quote:
    """What a payment must match: recipient, exact amount (None: a quote from before binding), payer."""

    id: int
    status: str
    pay_to: str
    fee_sun: int
    pay_amount_sun: int | None
    payer_address: str | None
    quote_block: int
    quote_expires_at: datetime
    trx_tx_hash: str | None

    @classmethod
    def of(cls, row: Record) -> Quote:
        """From an emergency_withdrawals row."""
        return cls(**{name: row[name] for name in cls.__slots__})


def refusal(
    quote: Quote, owner: str, to: str, amount: int, own: frozenset[str], block: int | None = None
) -> str | None:
    """Why this transfer (hex addresses) cannot pay this quote, or None; nothing is consumed by a refusal."""
    if to != hex_address(quote.pay_to):
        return f"wrong recipient: paid to {b58(to)}, the fee must go to {quote.pay_to}"
    if block is not None and block <= quote.quote_block:
        return f"too old: made in block {block}, before the quote (block {quote.quote_block})"
    if owner in own:
        return f"own address: sent from {b58(owner)}, a wallet of the gateway itself; it never pays a quote"
    if quote.pay_amount_sun is None:  # a quote from before binding: at least the fee, as it was told
        if amount < quote.fee_sun:
            return f"too little: {trx(amount)} paid, {trx(quote.fee_sun)} quoted"
    elif amount != quote.pay_amount_sun:
        word = "too little" if amount < quote.pay_amount_sun else "too much"
        return (
            f"{word}: {trx(amount)} paid, this quote is paid by exactly {trx(quote.pay_amount_sun)} "
            "(the last digits identify it)"
        )
    if quote.payer_address is not None and owner != hex_address(quote.payer_address):
        return f"wrong payer: sent from {b58(owner)}, this quote is to be paid from {quote.payer_address}"
    return None


@dataclass(frozen=True, slots=True)
class Decision:
    """What one scanned transfer does: settle its quote, or a record (status) against a quote or none."""

    transfer: Transfer
    status: str  # settled | underpaid | overpaid | wrong_payer | late | duplicate | unmatched
    quote: Quote | None
    detail: str


class Matcher:
    """Attributes scanned transfers to the quotes holding an amount for one pay_to (see the README)."""

    def __init__(self, held: Iterable[Quote]) -> None:
        self.by_amount: dict[int, Quote] = {}
        self.by_payer: dict[str, list[Quote]] = {}
        self.by_tag: dict[int, list[Quote]] = {}
        for q in held:
            if q.pay_amount_sun is None:
                continue
            self.by_amount[q.pay_amount_sun] = q
            self.by_tag.setdefault(q.pay_amount_sun % STEP, []).append(q)
            if q.payer_address is not None:
                self.by_payer.setdefault(hex_address(q.payer_address), []).append(q)
        self.settled: set[int] = set()

    def decide(self, t: Transfer) -> Decision:
        """Settle, or record why not."""
        q = self.by_amount.get(t.amount)
        if q is not None and t.block > q.quote_block:
            return self._exact(t, q)
        near = self._attribute(t)
        if near is not None:
            word = "underpaid" if t.amount < (near.pay_amount_sun or 0) else "overpaid"
            detail = f"{trx(t.amount)} paid, the quote asks exactly {trx(near.pay_amount_sun or 0)}"
            return Decision(t, word, near, detail)
        return Decision(t, "unmatched", None, f"no open quote asks for {trx(t.amount)} to this address")

    def _exact(self, t: Transfer, q: Quote) -> Decision:
        if q.payer_address is not None and t.owner != hex_address(q.payer_address):
            detail = f"sent from {b58(t.owner)}, the quote is to be paid from {q.payer_address}"
            return Decision(t, "wrong_payer", q, detail)
        if q.status == "verifying" and q.id not in self.settled:
            return Decision(t, "duplicate", q, "the quote is verifying another submitted payment")
        if q.id in self.settled or q.status not in (OPEN, "expired"):
            return Decision(t, "duplicate", q, "the quote was already paid by another transaction")
        if q.status == "expired":  # quotes expire only once the scan is caught up: this came too late
            return Decision(t, "late", q, f"paid after the quote expired at {q.quote_expires_at.isoformat()}")
        self.settled.add(q.id)
        return Decision(t, "settled", q, f"paid exactly {trx(t.amount)}")

    def _attribute(self, t: Transfer) -> Quote | None:
        # A wrong amount belongs to a quote when its declared payer sent it (the newest such open quote
        # first), or when exactly one quote has the same tag in the last digits.
        mine = sorted(
            (q for q in self.by_payer.get(t.owner, ()) if t.block > q.quote_block),
            key=lambda q: (q.status == OPEN, q.id),
        )
        if mine:
            return mine[-1]
        tagged = [q for q in self.by_tag.get(t.amount % STEP, ()) if t.block > q.quote_block]
        return tagged[0] if len(tagged) == 1 else None
