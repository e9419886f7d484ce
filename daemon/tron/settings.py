"""The `tron:` config section: which network to watch, and TRON address validation for settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def base58check(value: str) -> str:
    """A base58check TRON address (T...), else ValueError."""
    from tronpy.keys import is_base58check_address

    try:
        ok = is_base58check_address(value)
    except (ValueError, IndexError):  # bad checksum or alphabet; empty string
        ok = False
    if not ok:
        raise ValueError("must be a base58check TRON address (T...)")
    return value


class TronSettings(_Section):
    """Which TRON network to watch."""

    network: str = "none"
    # validate_default: `shasta` without it must fail at load, and `network` is validated first.
    usdt_contract: str | None = Field(None, validate_default=True)
    # None: TronGrid's own host for mainnet/nile/shasta; for a node URL, port 8090 -> 8091, else the URL.
    solidity_url: str | None = None
    api_keys: tuple[str, ...] = ()
    timeout: float = Field(5.0, gt=0)
    requests_per_second: float = Field(10.0, gt=0)
    health_interval: float = Field(15.0, gt=0)
    devnode_speed: float = Field(1.0, ge=0)
    devnode_traffic_per_hour: float = Field(4.0, ge=0)

    @field_validator("network")
    @classmethod
    def _known_network(cls, value: str) -> str:
        if value in ("none", "devnode", "mainnet", "nile", "shasta") or value.startswith(
            ("http://", "https://")
        ):
            return value
        raise ValueError("must be none, devnode, mainnet, nile, shasta or an http(s) URL")

    @field_validator("usdt_contract")
    @classmethod
    def _usdt_contract(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value:
            return base58check(value)
        # `network` is absent from info.data when it was itself invalid (already reported).
        if info.data.get("network") == "shasta":
            raise ValueError("required for network shasta, which has no canonical USDT contract")
        return None  # `${VAR:-}` left empty means unset

    @field_validator("solidity_url")
    @classmethod
    def _solidity_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None  # `${VAR:-}` left empty means unset
        if info.data.get("network") in ("none", "devnode"):
            raise ValueError("only for network mainnet, nile, shasta or a node URL")
        from daemon.tron.options import base_url

        base_url(value)  # ValueError names what is wrong
        return value
