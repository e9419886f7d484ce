"""The `monitoring:` config section: the system collector and the /ws/monitoring stream."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class MonitoringSettings(BaseModel):
    """Collector interval, WebSocket limits and who may open the stream."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    collect_interval: float = Field(15.0, gt=0, description="seconds between system snapshots")
    probe_url: str | None = Field(
        None, description="URL the self-probe requests (default: this replica's own /healthz)"
    )
    probe_timeout: float = Field(5.0, gt=0, description="seconds before a self-probe counts as failed")
    ws_allowed_origins: tuple[str, ...] = Field(
        (), description="browser Origins allowed besides the daemon's own; '*' allows any"
    )
    ws_queue_size: int = Field(
        32, ge=1, le=10_000, description="messages buffered per client before it is dropped"
    )
    ws_heartbeat: float = Field(30.0, gt=0, description="seconds between WebSocket pings (no pong: closed)")
    ws_auth_timeout: float = Field(
        5.0, gt=0, le=60, description="seconds from upgrade to authenticated, pings or not (then closed 4401)"
    )
    ws_max_clients: int = Field(
        5_000, ge=1, description="sockets (authenticated or not) beyond this are refused (503)"
    )
    ws_max_pending: int = Field(
        200, ge=1, description="sockets still authenticating beyond this are refused (503)"
    )
    ws_max_pending_per_ip: int = Field(
        10, ge=1, description="sockets still authenticating from one client IP beyond this are refused (429)"
    )

    @field_validator("ws_allowed_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError("each origin must be '*' or start with http:// or https://")
        return tuple(o.rstrip("/").lower() for o in value)
