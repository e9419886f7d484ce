"""The `autopilot:` config section: what the energy autopilot may do, for whom, and how much per day."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Mode = Literal["off", "plan", "act"]
SourceName = Literal["rebalance", "stake", "queue"]
DEFAULT_SOURCES: tuple[SourceName, ...] = ("rebalance", "stake", "queue")


class ReserveAccount(BaseModel):
    """A wallet the autopilot may delegate from or stake with; its key never leaves env or file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str = Field(min_length=34, max_length=34, pattern=r"^T[1-9A-HJ-NP-Za-km-z]{33}$")
    signer: Literal["builtin", "executor"] = Field(
        "executor", description="builtin: sign here with the key below; executor: an executor claims it"
    )
    key_env: str | None = Field(None, description="environment variable holding the hex private key")
    key_file: Path | None = Field(None, description="file holding the hex private key")

    @model_validator(mode="after")
    def _key_for_builtin(self) -> ReserveAccount:
        if self.signer == "builtin" and self.key_env is None and self.key_file is None:
            raise ValueError("a builtin signer needs key_env or key_file")
        return self


class AutopilotSettings(BaseModel):
    """Policy: mode, sources in order, daily budgets, reserve floor, cooldown and headroom."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode | None = Field(None, description="off | plan | act; unset: plan in production, act in demo")
    interval: float = Field(30.0, gt=0, description="seconds between planning cycles")
    sources: list[SourceName] = Field(
        default_factory=lambda: list(DEFAULT_SOURCES), min_length=1, max_length=3
    )
    headroom_seconds: float = Field(6 * 3600.0, gt=0, description="cover this much of the coming use")
    daily_delegate_energy: int = Field(5_000_000, ge=0, description="energy delegated per UTC day, at most")
    daily_stake_trx: Decimal = Field(Decimal(0), ge=0, decimal_places=6, description="TRX staked per day")
    min_reserve_trx: Decimal = Field(
        Decimal(100), ge=0, decimal_places=6, description="liquid TRX a reserve keeps when staking"
    )
    cooldown_seconds: float = Field(600.0, ge=0, description="per pool, between two actions")
    lock_blocks: int = Field(1200, ge=0, le=864_000, description="delegation lock in 3 s blocks (0: none)")
    reserves: list[ReserveAccount] = Field(default_factory=list)

    def resolved_mode(self, demo: bool) -> Mode:
        """The configured mode, or the default for this run mode."""
        if self.mode is not None:
            return self.mode
        return "act" if demo else "plan"
