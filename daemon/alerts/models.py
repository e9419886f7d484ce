"""API models for alerts, notification history and silences."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from daemon.alerts.matchers import MatcherError, parse_matchers
from daemon.alerts.ops_models import AckEvent, AckView
from daemon.http.body import RequestModel

LABEL = r"^[A-Za-z_][A-Za-z0-9_]*$"


class AlertView(BaseModel):
    """One alert instance."""

    fingerprint: str
    alertname: str
    state: Literal["pending", "firing", "inactive"]
    labels: dict[str, str]
    annotations: dict[str, str]
    value: float | None
    active_at: datetime | None
    fired_at: datetime | None
    resolved_at: datetime | None
    last_notified_at: datetime | None
    notifications: int
    muted: str | None
    acked: bool = False
    ack: AckView | None = None


class RulesInfo(BaseModel):
    """The rules in force."""

    loaded: int
    files: list[str]
    loaded_at: datetime | None
    last_reload_error: str | None


class AlertList(BaseModel):
    """Current alert instances (pending, firing, and resolved within 15 minutes)."""

    alerts: list[AlertView]
    rules: RulesInfo


class HistoryQuery(RequestModel):
    """Page through notifications, newest first."""

    before: int | None = Field(None, ge=1, le=2**63 - 1)
    limit: int = Field(50, ge=1, le=500)
    receiver: str | None = Field(None, min_length=1, max_length=64)


class Notification(BaseModel):
    """One notification to one receiver: when, to whom, outcome, attempts."""

    id: int
    notification_id: str
    receiver: str
    alertname: str
    fingerprint: str
    status: Literal["firing", "resolved"]
    created_at: datetime
    attempts: int
    outcome: Literal["pending", "sent", "failed"]
    last_error: str | None
    http_status: int | None
    sent_at: datetime | None
    labels: dict[str, Any]
    annotations: dict[str, Any]


class NotificationPage(BaseModel):
    """A page of history; pass next_before as `before` for the next."""

    items: list[Notification]
    next_before: int | None
    # Acknowledgements made while this page's notifications were queued (the whole time before, on the last).
    acks: list[AckEvent] = []


class SilenceCreate(RequestModel):
    """Mute alerts matching every matcher (`['pool=~"a|b"', 'severity!="info"']`, or `{k: v}` equalities)."""

    matchers: dict[str, str] | list[str] = Field(min_length=1, max_length=20)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    duration_seconds: float | None = Field(None, gt=0, le=366 * 86400)
    comment: str = Field("", max_length=1000)

    @field_validator("matchers")
    @classmethod
    def _matchers(cls, value: dict[str, str] | list[str]) -> dict[str, str] | list[str]:
        if isinstance(value, list):
            try:
                return [str(m) for m in parse_matchers(value)]
            except MatcherError as exc:
                raise ValueError(str(exc)) from None
        for k, v in value.items():
            if not re.match(LABEL, k) or len(k) > 100:
                raise ValueError(f"bad label name {k!r}")
            if len(v) > 200 or "\x00" in v:
                raise ValueError(f"value of {k!r} too long or contains NUL")
        return value


class SilenceView(BaseModel):
    """A silence."""

    id: int
    matchers: dict[str, str] | list[str]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime
    active: bool


class SilenceQuery(RequestModel):
    """`expired=true` includes silences that have ended."""

    expired: bool = False


class SilenceList(BaseModel):
    """Silences, newest first."""

    items: list[SilenceView]


class ReloadResult(BaseModel):
    """What a reload loaded."""

    loaded: int
    files: list[str]
