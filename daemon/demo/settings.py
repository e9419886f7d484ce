"""The `demo_scenario:` config section: the story demo mode plays on the simulated network."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DemoSettings(BaseModel):
    """A busy spell drains the pools, they stay congested a while, then recover on a fast clock."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="play the story (demo mode with the in-process devnode only)")
    calm_seconds: float = Field(10.0, ge=0, description="first, quiet traffic on the fast clock (wall s)")
    busy_speed: float = Field(10.0, gt=0, description="devnode chain seconds per wall second while busy")
    busy_transfers_per_hour: float = Field(1500.0, gt=0, description="USDT transfers per pool, chain time")
    hold_seconds: float = Field(90.0, ge=0, description="wall seconds congested, then normal, per round")
    recover_speed: float = Field(120.0, gt=0, description="devnode speed while the pools recover")
    poll_seconds: float = Field(1.0, gt=0, description="how often the story checks the energy figures")
    sample_ticket: bool = Field(True, description="the demo partner opens a ticket when withdrawals queue")
    queued_withdrawals: int = Field(
        3, ge=0, le=100, description="withdrawals the demo partner queues while congested (sent on recovery)"
    )
