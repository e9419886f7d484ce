"""Client options and network resolution (docs/tron.md#tronpy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tronpy.keys import is_base58check_address

__all__ = [
    "DEFAULT_FEE_LIMIT_SUN",
    "NETWORK_ENDPOINTS",
    "USDT_CONTRACTS",
    "TronClientOptions",
    "base_url",
    "display_url",
    "resolve_endpoint",
    "resolve_solidity_endpoint",
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

# tronpy's default 10 TRX fee_limit caps a 130k-energy transfer at 100 sun/energy; bitcart uses 30 TRX
# (docs/tron.md#fee-limit).
DEFAULT_FEE_LIMIT_SUN = 30_000_000
# java-tron's default HTTP ports: /wallet on 8090, /walletsolidity on 8091 (docs/tron-nodes.md).
FULL_NODE_PORT, SOLIDITY_PORT = 8090, 8091


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
    solidity_url: str | None = None  # None: derived from `network` (resolve_solidity_endpoint)
    fee_limit_sun: int = DEFAULT_FEE_LIMIT_SUN
    max_connections: int = 64

    def __post_init__(self) -> None:
        resolve_endpoint(self.network)  # fail at construction, not at the first call
        if self.solidity_url is not None:
            base_url(self.solidity_url)
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
    def solidity_endpoint(self) -> str:
        """Base URL of the `/walletsolidity/*` API, with a trailing slash."""
        return resolve_solidity_endpoint(self.network, self.solidity_url)

    @property
    def solidity_source(self) -> str:
        """Where `solidity_endpoint` comes from, for the start log."""
        if self.solidity_url is not None:
            return "configured tron.solidity_url"
        if self.network in NETWORK_ENDPOINTS:
            return f"{self.network}: TronGrid serves /walletsolidity on the same host"
        if urlsplit(self.network).port == FULL_NODE_PORT:
            return f"derived from the node URL: port {FULL_NODE_PORT} -> {SOLIDITY_PORT}, as java-tron"
        return "the node URL itself; set tron.solidity_url if this node serves /walletsolidity elsewhere"

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
    return base_url(network, "network", "mainnet, nile, shasta or an http(s) URL")


def base_url(url: str, what: str = "solidity_url", expected: str = "an http(s) URL") -> str:
    """An http(s) URL without query or fragment, ending in `/`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be {expected}, not {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"{what} URL must not carry a query or fragment")
    # tronpy urljoins "wallet/x" onto this: without the slash the last path segment is lost (docs/tron.md).
    return url if url.endswith("/") else url + "/"


def resolve_solidity_endpoint(network: str, solidity_url: str | None = None) -> str:
    """Where `/walletsolidity/*` is served: the configured URL, else derived from `network`.

    TronGrid (and hosted providers) serve it on the node's own URL; a java-tron node's full-node
    port 8090 never does, its solidity port 8091 does (docs/tron-nodes.md).
    """
    if solidity_url is not None:
        return base_url(solidity_url)
    endpoint = resolve_endpoint(network)
    parts = urlsplit(endpoint)
    if network in NETWORK_ENDPOINTS or parts.port != FULL_NODE_PORT:
        return endpoint
    host = parts.netloc.rsplit(":", 1)[0]
    return parts._replace(netloc=f"{host}:{SOLIDITY_PORT}").geturl()


def display_url(url: str) -> str:
    """scheme://host[:port] only: a path or user part may carry a provider's token (public /readyz)."""
    parts = urlsplit(url)
    if not parts.scheme:
        return url  # a network name
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
