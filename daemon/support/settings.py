"""The `support:` config section, with defaults that apply until config.py carries it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Kept apart from models.Priority so config.py can import this module without importing the HTTP layer.
Priority = Literal["low", "medium", "high", "critical"]

# Hours to the first public admin reply and to resolution, per priority (paused while pending).
DEFAULT_SLA_HOURS: dict[Priority, tuple[float, float]] = {
    "critical": (1, 4),
    "high": (4, 24),
    "medium": (8, 72),
    "low": (24, 168),
}
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
SLA_INTERVAL = 30.0
FIGURES_INTERVAL = 15.0
AUTO_CLOSE_DAYS = 7.0
# Receivers kept in the database rather than the config (notify_outbox.PARTNER webhooks).
_DATABASE_RECEIVER = re.compile(r"^partner:[0-9]+$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlaTarget(_Section):
    """Hours to first response and to resolution for one priority."""

    first_response_hours: float = Field(gt=0, le=24 * 365)
    resolution_hours: float = Field(gt=0, le=24 * 365)

    @property
    def first_response(self) -> timedelta:
        """As a timedelta."""
        return timedelta(hours=self.first_response_hours)

    @property
    def resolution(self) -> timedelta:
        """As a timedelta."""
        return timedelta(hours=self.resolution_hours)


def _target(priority: Priority) -> SlaTarget:
    first, resolution = DEFAULT_SLA_HOURS[priority]
    return SlaTarget(first_response_hours=first, resolution_hours=resolution)


class SlaSettings(_Section):
    """Targets per priority."""

    critical: SlaTarget = _target("critical")
    high: SlaTarget = _target("high")
    medium: SlaTarget = _target("medium")
    low: SlaTarget = _target("low")

    def target(self, priority: Priority) -> SlaTarget:
        """The target for a priority."""
        target: SlaTarget = getattr(self, priority)
        return target


class SupportSettings(_Section):
    """Support tickets: SLA targets, attachment limit and job intervals."""

    sla: SlaSettings = SlaSettings()
    attachment_max_bytes: int = Field(ATTACHMENT_MAX_BYTES, ge=1)
    sla_interval: float = Field(SLA_INTERVAL, gt=0, description="seconds between SLA job runs (leader)")
    figures_interval: float = Field(FIGURES_INTERVAL, gt=0, description="seconds between gauge refreshes")
    auto_close_days: float = Field(AUTO_CLOSE_DAYS, ge=0, description="resolved -> closed after; 0 never")
    notify_receivers: list[str] | None = Field(
        None, description="alert receivers told of new tickets; default: alerts.default_receivers"
    )
    partner_webhook_allow_private: bool = Field(
        False, description="let partner webhook URLs point at loopback/private addresses (tests, labs)"
    )
    partner_webhook_timeout: float = Field(10.0, gt=0, le=120, description="seconds per partner delivery")

    def check_receivers(self, configured: set[str]) -> None:
        """ValueError naming the first notify receiver that is not configured (a typo drops notices)."""
        for name in self.notify_receivers or ():
            if name not in configured and not _DATABASE_RECEIVER.match(name):
                raise ValueError(
                    f"support.notify_receivers: unknown receiver {name!r} "
                    f"(alerts.receivers has: {', '.join(sorted(configured)) or 'none'})"
                )
