"""API models for maintenance windows and acknowledgements."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from daemon.alerts.matchers import MatcherError, parse_matcher
from daemon.http.body import RequestModel

WindowState = Literal["scheduled", "active", "ended"]


class MaintenanceCreate(RequestModel):
    """Mute alerts matching every matcher from starts_at (default now) for duration_seconds or to ends_at."""

    matchers: list[str] = Field(
        min_length=1,
        max_length=20,
        description='Alertmanager matchers: name="v", name!="v", name=~"regex", name!~"regex"',
    )
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    duration_seconds: float | None = Field(None, gt=0, le=366 * 86400)
    comment: str = Field("", max_length=1000)
    end_when_resolved: bool = Field(
        False, description="end early once the matching alerts that fired in the window have resolved"
    )
    affects_withdrawals: bool = Field(
        False, description="announce the window on the public /status page ahead of time"
    )

    @field_validator("matchers")
    @classmethod
    def _matchers(cls, value: list[str]) -> list[str]:
        for text in value:
            try:
                parse_matcher(text)
            except MatcherError as exc:
                raise ValueError(str(exc)) from None
        return value


class MaintenanceView(BaseModel):
    """A maintenance window; `ends_at` is when it ends or ended (early, see end_reason)."""

    id: int
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    end_when_resolved: bool
    affects_withdrawals: bool
    comment: str
    created_by: str
    created_at: datetime
    state: WindowState
    ended_early: bool
    end_reason: Literal["deleted", "resolved"] | None


class MaintenanceQuery(RequestModel):
    """Only windows in this state (default: all)."""

    state: WindowState | None = None


class MaintenanceList(BaseModel):
    """Maintenance windows, newest first."""

    items: list[MaintenanceView]


class AckCreate(RequestModel):
    """Why (optional)."""

    comment: str = Field("", max_length=1000)


class AckView(BaseModel):
    """An acknowledgement of one firing episode of an alert."""

    fingerprint: str
    alertname: str
    episode: int
    acked_by: str
    comment: str
    acked_at: datetime


class AckEvent(BaseModel):
    """An acknowledgement or its withdrawal, as the history lists it."""

    kind: Literal["acknowledged", "unacknowledged"]
    fingerprint: str
    alertname: str
    episode: int
    actor: str
    comment: str
    at: datetime
