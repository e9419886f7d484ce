"""The `security:` config section: request scanning, failed-auth tracking, rate limits."""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, field_validator

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateLimit(_Section):
    """At most `limit` calls per `window_seconds` (sliding window), shared by every replica."""

    enabled: bool = True
    limit: int = Field(ge=1, le=10**9)
    window_seconds: int = Field(60, ge=1, le=86_400)


class WithdrawalLimit(RateLimit):
    """Queue + emergency creations per end user of a partner (the seed: 3 a minute)."""

    limit: int = Field(3, ge=1, le=10**9)


class ApiCallLimit(RateLimit):
    """Authenticated requests per API key (the seed: 100 a minute)."""

    limit: int = Field(100, ge=1, le=10**9)


class RateLimits(_Section):
    """One limit per action."""

    withdrawal: WithdrawalLimit = WithdrawalLimit()
    api_call: ApiCallLimit = ApiCallLimit()


class FailedAuthSettings(_Section):
    """Bad API keys from one client IP: an event at `threshold` per window, optionally a block."""

    threshold: int = Field(5, ge=1, le=10_000)
    window_seconds: int = Field(60, ge=1, le=3600)
    block_seconds: float = Field(0.0, ge=0, le=86_400, description="0: never block, only record")


class SecuritySettings(_Section):
    """The security monitor and rate limits."""

    scan_enabled: bool = Field(True, description="look for SQLi/XSS/path traversal in every request")
    block: bool = Field(False, description="refuse (403) requests the scan flags instead of only recording")
    scan_headers: tuple[str, ...] = ("User-Agent", "Referer", "X-Forwarded-Host")
    # The defaults scan all that a request can store: the longest ticket text is 10,000 characters
    # and the server takes bodies up to 1 MiB.
    max_value_length: int = Field(16_384, ge=16, le=65_536, description="chars scanned per value")
    max_values: int = Field(256, ge=1, le=10_000, description="values scanned per request")
    max_scan_body_bytes: int = Field(
        1024 * 1024, ge=0, description="JSON bodies larger than this are not scanned"
    )
    trusted_proxies: tuple[IPNetwork, ...] = Field(
        (), description="peers whose X-Forwarded-For is believed (CIDRs)"
    )
    failed_auth: FailedAuthSettings = FailedAuthSettings()
    rate_limits: RateLimits = RateLimits()
    pool_max: int = Field(4, ge=1, le=100, description="connections of the security pool (limits, events)")
    figures_interval: float = Field(15.0, gt=0, le=3600, description="seconds between security.* refreshes")
    retention_days: float = Field(90.0, gt=0, description="security events kept this long")

    @field_validator("scan_headers")
    @classmethod
    def _header_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not name or not all(c.isalnum() or c == "-" for c in name):
                raise ValueError(f"not a header name: {name!r}")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(ipaddress.ip_network(str(v), strict=False) for v in value)
        return value
