"""The `costs:` config section (the cost ledger job)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CostSettings(BaseModel):
    """How the cost ledger reads the receipts of completed withdrawals."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: float = Field(15.0, gt=0, description="seconds between ledger runs (leader)")
    retry_seconds: float = Field(10.0, gt=0, description="first wait before re-reading an unsolid receipt")
    retry_max_seconds: float = Field(600.0, gt=0, description="longest wait between reads of one receipt")
    batch: int = Field(200, ge=1, le=5000, description="receipts read per run")
