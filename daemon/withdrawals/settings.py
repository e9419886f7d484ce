"""The `withdrawals:` config section, with defaults that apply until config.py carries it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from tronpy import keys


class WithdrawalSettings(BaseModel):
    """Queue dispatch, executor claims, emergency quotes and the payment watcher."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dispatch_interval: float = Field(2.0, gt=0, description="seconds between dispatcher runs (leader)")
    dispatch_batch: int = Field(20_000, ge=1, description="waiting entries considered per run")
    claim_timeout: float = Field(300.0, gt=0, description="a claim not completed in this many s returns")
    claim_limit: int = Field(100, ge=1, le=1000, description="most entries one claim call returns")
    settle_seconds: float = Field(
        30.0, ge=0, description="a completed transfer's energy stays reserved until a scrape this much later"
    )
    estimate_timeout: float = Field(1.0, gt=0, description="seconds for a per-address energy estimate")
    quote_ttl: float = Field(900.0, gt=0, description="seconds an emergency quote stays payable")
    watcher_interval: float = Field(5.0, gt=0, description="seconds between payment watcher runs (leader)")
    pay_to: str | None = Field(None, description="address users pay emergency fees to (demo: a devnode one)")
    operator_addresses: list[str] = Field(
        default_factory=list, description="the operator's own wallets: their transfers never pay a quote"
    )
    amount_hold: float = Field(
        3600.0,
        ge=0,
        description="seconds past expiry a quote keeps its amount (to attribute late payments)",
    )
    scan_max_blocks: int = Field(200, ge=1, description="solid blocks the payment scan reads per run")
    fee_limit_margin: float = Field(
        1.5, ge=1, description="fee_limit = max(estimate, cold-recipient energy) × energy fee × this"
    )
    demo_executor: bool = Field(True, description="run the built-in executor when the devnode runs")
    executor_interval: float = Field(2.0, gt=0, description="seconds between demo executor polls")

    @field_validator("operator_addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not keys.is_base58check_address(address):
                raise ValueError(f"{address!r} is not a valid base58 TRON address")
        return value
