"""Injected faults per API path: latency, error rate, outage (dropped connections)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

ANY = "*"


@dataclass(frozen=True, slots=True)
class Fault:
    """What to do to requests on one path (`/wallet/x`, a bare method name `x`, or `*`)."""

    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503  # 200: java-tron's rate-limit body instead (docs/tron.md#wire-format)
    outage: bool = False

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Fault:
        """Validate a control-API body."""
        latency = data.get("latency_ms", 0)
        rate = data.get("error_rate", 0.0)
        status = data.get("error_status", 503)
        if not isinstance(latency, int) or not 0 <= latency <= 120_000:
            raise ValueError("latency_ms must be an integer in [0, 120000]")
        if not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError("error_rate must be a number in [0, 1]")
        if status not in (200, 429, 500, 502, 503, 504):
            raise ValueError("error_status must be one of 200, 429, 500, 502, 503, 504")
        return cls(latency, float(rate), status, bool(data.get("outage", False)))


@dataclass(slots=True)
class Faults:
    """The active fault table; paths match exactly, then by method name, then `*`."""

    rules: dict[str, Fault] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    def set(self, path: str, fault: Fault) -> None:
        """Install or replace the fault for `path`."""
        self.rules[path] = fault
        log.info("event=fault_set path=%s %s", path, " ".join(f"{k}={v}" for k, v in asdict(fault).items()))

    def clear(self, path: str | None = None) -> None:
        """Remove one rule, or all."""
        if path is None:
            self.rules.clear()
        else:
            self.rules.pop(path, None)

    def lookup(self, path: str) -> Fault | None:
        """The rule that applies to a request path, if any."""
        if not self.rules:
            return None
        return self.rules.get(path) or self.rules.get(path.rsplit("/", 1)[-1]) or self.rules.get(ANY)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _answer(
    fault: Fault, rng: random.Random, request: web.Request, handler: Handler
) -> web.StreamResponse:
    """The node's answer under `fault`: a dropped connection, an injected error, or the handler's."""
    if fault.outage:
        # An unreachable node looks like a dropped connection to the client, not an HTTP answer.
        if request.transport is not None:
            request.transport.close()
        raise web.HTTPServiceUnavailable(text="devnode outage injected")
    if fault.error_rate and rng.random() < fault.error_rate:
        if fault.error_status == 200:
            body = '{"Error":"class java.lang.IllegalAccessException : lack of computing resources"}'
            return web.Response(text=body, content_type="application/json")
        return web.Response(
            status=fault.error_status,
            text='{"Error":"devnode error injected"}',
            content_type="application/json",
        )
    return await handler(request)


def fault_middleware(faults: Faults) -> Any:
    """Apply faults to node API paths; the control API under /_devnode/ is never faulted."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        fault = None if request.path.startswith("/_devnode/") else faults.lookup(request.path)
        if fault is None:
            return await handler(request)
        # Latency is a network's: half on the request's way in, half on the answer's way out. Sleeping
        # all of it before the handler made every answer of a burst wake together and queue behind the
        # others on this one thread, a convoy no real link or thread-pooled node produces.
        one_way = fault.latency_ms / 2000
        if one_way:
            await asyncio.sleep(one_way)
        response = await _answer(fault, faults.rng, request, handler)
        if one_way:
            await asyncio.sleep(one_way)
        return response

    return middleware
