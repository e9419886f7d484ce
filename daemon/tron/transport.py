"""The HTTP layer under tronpy: rate cap, per-call timeout, transport-only retries, metrics."""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any
from urllib.parse import urljoin

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Histogram
from tronpy.providers.async_http import AsyncHTTPProvider

from daemon.tron.errors import TronApiError, TronUnavailable
from daemon.tron.options import TronClientOptions

__all__ = [
    "InstrumentedProvider",
    "TokenBucket",
    "TronMetrics",
    "is_business_error",
    "is_solidity_path",
    "method_label",
]

REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Broadcasting twice after a lost response turns success into DUP_TRANSACTION_ERROR, so a
# broadcast is only retried when the request provably never left (connect failures).
_NO_RESEND = frozenset({"broadcasttransaction", "broadcasthex"})
_SEND_NEVER_STARTED = (aiohttp.ClientConnectorError,)
_KEY_COOLDOWN_S = 3600.0
_SIGN_WEIGHT_OK = frozenset({"ENOUGH_PERMISSION", "SUCCESS"})


class TokenBucket:
    """Async token bucket: `rate` tokens/s, at most `burst` banked; waiters are served in arrival order."""

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        self._rate = rate
        self._burst = max(burst, 1.0)
        self._tokens = self._burst
        self._stamp = time.monotonic()

    async def acquire(self) -> None:
        """Take one token, sleeping until it is due (no-op when rate is 0)."""
        if self._rate <= 0:
            return
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        # Reserve now (may go negative) so concurrent callers queue behind each other without a lock.
        self._tokens -= 1.0
        if self._tokens < 0:
            await asyncio.sleep(-self._tokens / self._rate)


class TronMetrics:
    """`tronwatch_tron_request_*` on the app's registry (one per app)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.duration = Histogram(
            "tronwatch_tron_request_duration_seconds",
            "TRON node HTTP request duration per attempt",
            ["method"],
            registry=registry,
            buckets=REQUEST_BUCKETS,
        )
        self.requests = Counter(
            "tronwatch_tron_requests",
            "TRON node HTTP requests per attempt by outcome (ok, error, timeout, transport_error)",
            ["method", "outcome"],
            registry=registry,
        )
        # Children by label values, looked up once: labels() costs more than the observation.
        self._children: dict[tuple[str, str], tuple[Histogram, Counter]] = {}

    def record(self, method: str, outcome: str, seconds: float) -> None:
        """Count one attempt and observe its duration."""
        children = self._children.get((method, outcome))
        if children is None:
            duration, count = self.duration.labels(method=method), self.requests.labels(method, outcome)
            children = self._children[(method, outcome)] = (duration, count)
        children[0].observe(seconds)
        children[1].inc()


def method_label(path: str) -> str:
    """`wallet/getaccount` -> `getaccount`; solidity paths keep their prefix (bounded by tronpy's calls)."""
    prefix, _, name = path.strip("/").rpartition("/")
    return f"walletsolidity/{name}" if prefix.endswith("walletsolidity") else name


def is_business_error(payload: dict[str, Any]) -> bool:
    """java-tron's HTTP-200 errors: `{"Error"}`, broadcast `{"code","message"}`, nested `result.code`."""
    if "Error" in payload or ("code" in payload and payload.get("result") is not True):
        return True
    nested = payload.get("result")
    return isinstance(nested, dict) and "code" in nested and nested["code"] not in _SIGN_WEIGHT_OK


def is_solidity_path(path: str) -> bool:
    """`walletsolidity/...`: answered by the solidity endpoint, not the full node."""
    return path.lstrip("/").startswith("walletsolidity/")


class InstrumentedProvider(AsyncHTTPProvider):  # type: ignore[misc]
    """tronpy provider whose every request is rate-capped, timed out, retried and measured.

    `walletsolidity/*` paths go to `options.solidity_endpoint`, everything else to the full node,
    so tronpy's get_solid_* calls and ours reach a self-hosted node's solidity port.
    """

    def __init__(self, options: TronClientOptions, metrics: TronMetrics, user_agent: str) -> None:
        # Not AsyncHTTPProvider.__init__: it builds an httpx client, and httpcore's pool scans every
        # connection on every request event (CPU grew with the pools scraped). aiohttp's connector doesn't.
        self.endpoint_uri = options.endpoint
        self.timeout = options.timeout
        self.jw_token = None
        self.solidity_uri = options.solidity_endpoint
        # tronpy would fall back to its shared public TronGrid keys; we send only the operator's.
        self.use_api_key = False
        self._api_keys: list[str] = []
        self._keys = list(options.api_keys)
        self._key_index = 0
        self._key_cooldown: dict[str, float] = {}
        self._options = options
        self._metrics = metrics
        self._bucket = TokenBucket(options.rps)
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None
        self._routes: dict[str, tuple[str, str]] = {}

    def _http(self) -> aiohttp.ClientSession:
        """The connection pool, made on first use (aiohttp wants a running loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._options.max_connections, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self._user_agent},
                # Our own JSON decoding below; timeouts come from asyncio.timeout per attempt.
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def make_request(self, method: str, params: Any = None) -> dict[str, Any]:
        """POST `method` (e.g. `wallet/getaccount`) and return the JSON object tronpy expects."""
        label, url = self._route(method)
        body = {} if params is None else params
        attempt = 0
        while True:
            key = self._next_key()
            await self._bucket.acquire()
            start = time.perf_counter()
            try:
                async with asyncio.timeout(self._options.timeout):
                    async with self._http().post(url, data=_dumps(body), headers=self._headers(key)) as resp:
                        status, content = resp.status, await resp.read()
            except TimeoutError as exc:
                failure: BaseException = exc
                outcome = "timeout"
            except aiohttp.ClientError as exc:
                failure, outcome = exc, "transport_error"
            else:
                elapsed = time.perf_counter() - start
                if status == 403 and key and b"Exceed the user daily usage" in content:
                    self._metrics.record(label, "error", elapsed)
                    self._key_cooldown[key] = time.monotonic() + _KEY_COOLDOWN_S
                    if not any(self._key_cooldown.get(k, 0.0) <= time.monotonic() for k in self._keys):
                        raise TronApiError(f"{label}: every TronGrid API key is over its daily quota")
                    continue  # another key; not a transport retry
                if status >= 500 or status == 429:
                    failure = TronUnavailable(f"{label}: HTTP {status}")
                    self._metrics.record(label, "transport_error", elapsed)
                    if not self._may_retry(label, failure, attempt):
                        raise failure
                    await self._backoff(attempt)
                    attempt += 1
                    continue
                return self._decode(label, status, content, elapsed)
            self._metrics.record(label, outcome, time.perf_counter() - start)
            if not self._may_retry(label, failure, attempt):
                raise TronUnavailable(f"{label}: {outcome} after {attempt + 1} attempt(s)") from failure
            await self._backoff(attempt)
            attempt += 1

    def _route(self, method: str) -> tuple[str, str]:
        """The metric label and URL of a method path (remembered: tronpy's paths are a fixed set)."""
        known = self._routes.get(method)
        if known is None:
            base = self.solidity_uri if is_solidity_path(method) else self.endpoint_uri
            known = (method_label(method), urljoin(base, method))
            if len(self._routes) < 256:  # a guard only: paths come from code, never from input
                self._routes[method] = known
        return known

    def _decode(self, label: str, status: int, content: bytes, elapsed: float) -> dict[str, Any]:
        """Map an answered request to a payload, or raise for HTTP 4xx / non-JSON."""
        if status >= 400:
            self._metrics.record(label, "error", elapsed)
            raise TronApiError(f"{label}: HTTP {status}")
        try:
            payload = json.loads(content)
        except ValueError as exc:
            self._metrics.record(label, "error", elapsed)
            raise TronApiError(f"{label}: response is not JSON") from exc
        if not isinstance(payload, dict):
            self._metrics.record(label, "error", elapsed)
            raise TronApiError(f"{label}: response is not a JSON object")
        # Business errors come back as HTTP 200; tronpy raises on them, we only count them.
        self._metrics.record(label, "error" if is_business_error(payload) else "ok", elapsed)
        return payload

    def _may_retry(self, label: str, failure: BaseException, attempt: int) -> bool:
        if attempt >= self._options.retries:
            return False
        return label not in _NO_RESEND or isinstance(failure, _SEND_NEVER_STARTED)

    async def _backoff(self, attempt: int) -> None:
        """Equal-jitter exponential backoff: 0.5–1 × min(max, base·2^attempt)."""
        ceiling = min(self._options.backoff_max, self._options.backoff * (2**attempt))
        await asyncio.sleep(ceiling * random.uniform(0.5, 1.0))

    def _next_key(self) -> str | None:
        """Round-robin over keys not cooling down after a daily-quota 403 (None: send without a key)."""
        now = time.monotonic()
        for _ in range(len(self._keys)):
            key = self._keys[self._key_index % len(self._keys)]
            self._key_index += 1
            if self._key_cooldown.get(key, 0.0) <= now:
                return key
        return None

    def _headers(self, key: str | None) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["TRON-PRO-API-KEY"] = key
        return headers


def _dumps(body: Any) -> bytes:
    """Compact JSON, as httpx's `json=` sent it."""
    return json.dumps(body, separators=(",", ":")).encode()
