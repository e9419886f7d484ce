"""The `server:` config section: where the HTTP API listens and its request limits."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    """Where the HTTP API listens."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    metrics_public: bool = True
    shutdown_timeout: float = Field(5.0, gt=0, le=60)
    max_body_bytes: int = Field(1024 * 1024, gt=0)
    header_timeout: float = Field(
        15.0,
        gt=0,
        le=600,
        description="seconds a request's headers may take to arrive; then the connection closes",
    )
