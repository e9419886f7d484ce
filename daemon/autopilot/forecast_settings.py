"""The `forecast:` config section."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ForecastSettings(BaseModel):
    """How often and how far ahead the energy shortage forecast looks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: float = Field(60.0, gt=0, description="seconds between forecasts (leader)")
    horizon_hours: float = Field(48.0, gt=0, le=336, description="how far ahead; beyond it: no shortage")
    history_days: float = Field(8.0, gt=0, le=60, description="usage history read at start (wall days)")
