"""Request and response models of the withdrawal API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator
from tronpy import keys

from daemon.http.body import RequestModel

ID_PATTERN = r"^[A-Za-z0-9._:@-]+$"  # same as the status route's user_id
QueueStatus = Literal["waiting", "released", "processing", "completed", "cancelled"]
EmergencyStatus = Literal["pending_trx_payment", "verifying", "paid", "processing", "completed", "expired"]


@lru_cache(maxsize=4096)
def is_address(value: str) -> bool:
    """Whether `value` is a base58check TRON address (remembered: users withdraw to the same ones)."""
    return bool(keys.is_base58check_address(value))


def _plain(value: Decimal) -> Decimal:
    """12.500000 (numeric(38,6)) as 12.5, and never in exponent form."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


def _string_or_integer(schema: dict[str, Any]) -> None:
    """The documented schema of a user id: the string constraints, or any integer."""
    string = {k: schema.pop(k) for k in ("type", "minLength", "maxLength", "pattern") if k in schema}
    schema["anyOf"] = [string, {"type": "integer"}]


Amount = Annotated[Decimal, AfterValidator(_plain)]
TxHash = Field(pattern=r"^[0-9a-fA-F]{64}$", description="64 hex characters")


class WithdrawalRequest(RequestModel):
    """A USDT withdrawal the gateway wants to send."""

    withdrawal_id: str = Field(min_length=1, max_length=128, pattern=ID_PATTERN)
    user_id: str = Field(
        min_length=1,
        max_length=128,
        pattern=ID_PATTERN,
        description="the gateway's own user id, case-sensitive; an integer means its decimal string",
        json_schema_extra=_string_or_integer,
    )
    to_address: str = Field(min_length=34, max_length=34, description="base58 TRON address")
    amount: Decimal = Field(gt=0, max_digits=32, decimal_places=6, description="USDT, up to 6 decimals")
    currency: Literal["USDT"] = "USDT"

    @field_validator("to_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not is_address(value):
            raise ValueError("not a valid base58 TRON address")
        return value

    @field_validator("user_id", mode="before")
    @classmethod
    def _integer_id(cls, value: object) -> object:
        # Gateways often number their users; an integer id is the same user as its decimal string.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("amount", mode="before")
    @classmethod
    def _no_float(cls, value: object) -> object:
        # JSON numbers arrive as float; str() keeps the digits the client wrote.
        return str(value) if isinstance(value, float) else value


class QueueEntry(BaseModel):
    """A queue entry with its live FIFO position and wait."""

    id: int
    withdrawal_id: str
    user_id: str
    to_address: str
    amount: Amount
    currency: str
    status: QueueStatus
    queue_position: int | None = Field(description="1 = next; null unless waiting")
    estimated_wait_time: int | None = Field(
        description="minutes until release; null when unknown or not waiting"
    )
    required_energy: int
    pool: str | None = Field(None, description="the pool it was released to")
    from_address: str | None = Field(None, description="that pool's wallet: send from here")
    created_at: datetime
    released_at: datetime | None = None
    processed_at: datetime | None = None
    tx_hash: str | None = None


class ClaimRequest(RequestModel):
    """How many entries the executor takes at once."""

    limit: int = Field(10, ge=1, le=1000)


class ClaimedItem(BaseModel):
    """One transfer to broadcast now: USDT `amount` from `from_address` to `to_address`."""

    kind: Literal["queue", "emergency"]
    id: int
    withdrawal_id: str
    user_id: str
    to_address: str
    amount: Amount
    currency: str
    from_address: str
    pool: str | None = Field(description="the pool whose energy pays (null: emergency, burns TRX)")
    required_energy: int
    fee_limit_sun: int = Field(description="fee_limit to set on the transfer")
    claim_expires_at: datetime
    complete_url: str


class ClaimResponse(BaseModel):
    """Claimed work, oldest first."""

    items: list[ClaimedItem]


class CompleteRequest(RequestModel):
    """The broadcast transfer."""

    tx_hash: str = TxHash


class EmergencyRequest(WithdrawalRequest):
    """Withdraw now; the user pays the network fee in TRX."""

    payer_address: str | None = Field(
        None,
        min_length=34,
        max_length=34,
        description="base58 TRON address the user pays from; when given, only its payment counts",
    )

    @field_validator("payer_address")
    @classmethod
    def _payer(cls, value: str | None) -> str | None:
        if value is not None and not is_address(value):
            raise ValueError("not a valid base58 TRON address")
        return value


PaymentStatus = Literal["settled", "underpaid", "overpaid", "wrong_payer", "late", "duplicate", "unmatched"]


class RecordedPayment(BaseModel):
    """A TRX transfer to pay_to seen on chain, and what it did."""

    id: int
    tx_hash: str
    payer: str
    amount_sun: int
    amount_trx: Decimal
    block_number: int
    emergency_id: int | None
    status: PaymentStatus = Field(
        description="settled it, or kept on record: underpaid/overpaid (not the exact amount), wrong_payer, "
        "late (after expiry), duplicate (quote already paid), unmatched (no quote)"
    )
    detail: str
    source: Literal["scan", "hash"]
    recorded_at: datetime


class FeeBreakdown(BaseModel):
    """How the fee was priced (all sun, at the chain's prices when quoted)."""

    energy: int
    energy_fee_sun: int
    energy_sun: int
    bandwidth_bytes: int
    bandwidth_sun: int
    total_sun: int


class Emergency(BaseModel):
    """An emergency withdrawal and its payment."""

    id: int
    withdrawal_id: str
    user_id: str
    to_address: str
    amount: Amount
    currency: str
    status: EmergencyStatus
    message: str
    estimated_trx_fee: Decimal = Field(description="the network fee in TRX")
    pay_amount_sun: int | None = Field(
        description="exactly this many sun to send to pay_to: the last digits identify the quote "
        "(null: a quote from before amounts were bound)"
    )
    pay_amount_trx: Decimal | None = Field(description="pay_amount_sun in TRX")
    payer_address: str | None = Field(None, description="the declared payer, when the request gave one")
    fee_breakdown: FeeBreakdown
    pay_to: str
    expires_at: datetime
    trx_tx_hash: str | None = None
    payer: str | None = None
    payment_error: str | None = None
    paid_at: datetime | None = None
    tx_hash: str | None = None
    created_at: datetime
    completed_at: datetime | None = None
    payments: list[RecordedPayment] = Field(
        default_factory=list, description="payments to pay_to recorded against this quote (GET only)"
    )


class PaymentRequest(RequestModel):
    """The user's TRX payment transaction."""

    tx_hash: str = TxHash
