"""Client options and network resolution (tron.md §1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tronpy.keys import is_base58check_address

__all__ = [
    "DEFAULT_FEE_LIMIT_SUN",
    "NETWORK_ENDPOINTS",
    "USDT_CONTRACTS",
    "TronClientOptions",
    "resolve_endpoint",
]

NETWORK_ENDPOINTS = {
    "mainnet": "https://api.trongrid.io/",
    "nile": "https://nile.trongrid.io/",
    "shasta": "https://api.shasta.trongrid.io/",
}

# USDT TRC20 per network. The devnode deploys it at the mainnet address (issue 3), so URLs use that.
# Nile's is the faucet token TronLink lists; Shasta has no canonical USDT, so it must be configured.
USDT_CONTRACTS = {
    "mainnet": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    "nile": "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf",
}

# §3: tronpy's default 10 TRX fee_limit caps a 130k-energy transfer at 100 sun/energy; bitcart uses 30 TRX.
DEFAULT_FEE_LIMIT_SUN = 30_000_000


@dataclass(frozen=True, slots=True)
class TronClientOptions:
    """How to reach a TRON node: network name or URL, keys, timeout, retries, request rate."""

    network: str
    api_keys: tuple[str, ...] = field(default=(), repr=False)  # secrets stay out of logs
    timeout: float = 5.0
    retries: int = 2
    rps: float = 10.0
    backoff: float = 0.2  # first retry waits 0.5–1× this, doubling per attempt
    backoff_max: float = 2.0
    usdt_contract: str | None = None  # None: the network's USDT (USDT_CONTRACTS)
    fee_limit_sun: int = DEFAULT_FEE_LIMIT_SUN
    max_connections: int = 64

    def __post_init__(self) -> None:
        resolve_endpoint(self.network)  # fail at construction, not at the first call
        if self.usdt_contract is not None and not _is_address(self.usdt_contract):
            raise ValueError("usdt_contract must be a base58check TRON address (T...)")
        _ = self.usdt  # shasta without usdt_contract fails here too
        if self.timeout <= 0:
            raise ValueError("timeout must be > 0")
        if self.retries < 0:
            raise ValueError("retries must be >= 0")
        if self.rps < 0:
            raise ValueError("rps must be >= 0 (0 disables the cap)")
        if self.backoff < 0 or self.backoff_max < 0:
            raise ValueError("backoff must be >= 0")

    @property
    def endpoint(self) -> str:
        """Base URL with a trailing slash."""
        return resolve_endpoint(self.network)

    @property
    def usdt_source(self) -> str:
        """Where `usdt` comes from, for the startup log."""
        if self.usdt_contract:
            return "configured tron.usdt_contract"
        if self.network in USDT_CONTRACTS:
            return f"{self.network} default"
        return "mainnet default for a node URL; set tron.usdt_contract if this node is not mainnet"

    @property
    def usdt(self) -> str:
        """The USDT contract address to estimate against."""
        if self.usdt_contract:
            return self.usdt_contract
        if self.network in USDT_CONTRACTS:
            return USDT_CONTRACTS[self.network]
        if self.network in NETWORK_ENDPOINTS:
            raise ValueError(f"no default USDT contract for {self.network}; set usdt_contract")
        return USDT_CONTRACTS["mainnet"]


def _is_address(value: str) -> bool:
    """True for a base58check TRON address."""
    try:
        return bool(is_base58check_address(value))
    except (ValueError, IndexError):  # bad checksum or alphabet; empty string
        return False


def resolve_endpoint(network: str) -> str:
    """`mainnet`/`nile`/`shasta` or an http(s) URL -> base URL ending in `/`."""
    if network in NETWORK_ENDPOINTS:
        return NETWORK_ENDPOINTS[network]
    parts = urlsplit(network)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"network must be mainnet, nile, shasta or an http(s) URL, not {network!r}")
    if parts.query or parts.fragment:
        raise ValueError("network URL must not carry a query or fragment")
    # tronpy urljoins "wallet/x" onto this: without the slash, the last path segment is dropped (§1).
    return network if network.endswith("/") else network + "/"
