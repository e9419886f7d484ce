"""The `status_page:` config section: the public energy status page and its embeddable widget."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

# An origin a partner's withdrawal page is served from; `*.` allows its subdomains. Never a bare `*`.
_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$")


class StatusPageSettings(BaseModel):
    """GET /status and /status/embed: on by default, embeddable only by the listed origins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    refresh_seconds: int = Field(30, ge=5, le=3600, description="the page reloads itself this often")
    cache_seconds: float = Field(5.0, ge=0, le=300, description="the wait estimate is reused this long")
    frame_ancestors: list[str] = Field(
        default_factory=list,
        description="origins that may frame /status/embed (CSP frame-ancestors); empty: this site only",
    )

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not _ORIGIN.match(origin):
                raise ValueError(f"{origin!r} is not an origin like https://pay.example.com (no path or '*')")
        return value
