"""The `energy:` config section: pools, scraping, thresholds, the status API and retention."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from daemon.tron.settings import base58check


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnergyPoolSettings(_Section):
    """An energy pool declared in the config file (managed here, read-only over the API)."""

    name: str = Field(min_length=1, max_length=100)
    wallet_address: str
    target_trx: Decimal = Field(Decimal(0), ge=0, le=Decimal(10) ** 11, decimal_places=6)
    enabled: bool = True

    @field_validator("wallet_address")
    @classmethod
    def _address(cls, value: str) -> str:
        return base58check(value)


class EnergySettings(_Section):
    """Energy pools: scraping, thresholds, the status API and snapshot retention."""

    scrape_interval: float = Field(15.0, gt=0)
    chain_params_interval: float = Field(300.0, gt=0)
    # Delegation records are re-read this often, or at once when a pool's delegated balances change.
    delegation_interval: float = Field(300.0, gt=0)
    concurrency: int = Field(16, ge=1, le=256)
    pool_timeout: float = Field(10.0, gt=0)
    backoff_max: float = Field(300.0, gt=0)
    warning: float = Field(0.90, gt=0, le=1)
    critical: float = Field(0.95, gt=0, le=1)
    emergency: float = Field(0.98, gt=0, le=1)
    transfer_energy: int = Field(130_285, ge=1)
    reserve_energy: int = Field(0, ge=0)
    history_interval: float = Field(60.0, gt=0)
    retention_days: float = Field(8.0, gt=0)
    pools: tuple[EnergyPoolSettings, ...] = ()

    @property
    def thresholds(self) -> tuple[float, float, float]:
        """(warning, critical, emergency): what the level, the banner and the default rules use."""
        return (self.warning, self.critical, self.emergency)

    @model_validator(mode="after")
    def _ordered(self) -> EnergySettings:
        if not self.warning <= self.critical <= self.emergency:
            raise ValueError("thresholds must satisfy warning <= critical <= emergency")
        return self
