"""A retry of a stored withdrawal request gets the stored answer: never a 429 (rate limit) or a 503 (node)."""

from __future__ import annotations

from typing import Any

from daemon import keys as app_keys
from daemon.security.context import security_state
from tests.conftest import Keys, bearer
from tests.withdrawals.chain import node_of
from tests.withdrawals.conftest import AppFactory, body

QUEUE = "/api/v1/energy/queue"
EMERGENCY = "/api/v1/energy/emergency-withdrawal"
LIMITS = {"rate_limits": {"withdrawal": {"limit": 3}, "api_call": {"limit": 10**9}}}
SCARCE = {"reserve_energy": 20_000_000}


async def _limited_app(wd_app: AppFactory, **kw: Any) -> Any:
    client = await wd_app(security=LIMITS, **kw)
    # A fixed rate-limit clock: the test can never straddle a window edge (which would free a call).
    client.app[security_state].clock = lambda: 1_800_000_010.0
    return client


def _with(key: str, idem: str | None = None) -> dict[str, str]:
    return bearer(key) | ({"Idempotency-Key": idem} if idem else {})


async def test_queue_retries_are_answered_past_the_rate_limit(wd_app: AppFactory, keys: Keys) -> None:
    client = await _limited_app(wd_app)
    key, _ = await keys.partner("acme")
    first = await client.post(QUEUE, json=body("w-1"), headers=_with(key, "k-1"))
    assert first.status == 201
    stored = await first.json()
    entries = {}
    for wid in ("w-2", "w-3"):
        resp = await client.post(QUEUE, json=body(wid), headers=bearer(key))
        assert resp.status == 201
        entries[wid] = await resp.json()
    limited = await client.post(QUEUE, json=body("w-4"), headers=bearer(key))
    assert limited.status == 429  # the user's 3 per minute are used: new work is refused
    registry = client.app[app_keys.metrics].registry
    refused = {"action": "withdrawal"}
    assert registry.get_sample_value("tronwatch_rate_limited_total", refused) == 1
    # The same Idempotency-Key: the stored response, byte for byte.
    again = await client.post(QUEUE, json=body("w-1"), headers=_with(key, "k-1"))
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == stored
    # The same withdrawal_id, with no key or a new one: the stored entry.
    for idem in (None, "k-3"):
        retry = await client.post(QUEUE, json=body("w-3"), headers=_with(key, idem))
        assert retry.status == 200, await retry.text()
        assert (await retry.json())["id"] == entries["w-3"]["id"]
    assert registry.get_sample_value("tronwatch_rate_limited_total", refused) == 1  # retries: not refusals
    # Not a retry: other details for a stored withdrawal_id, or another withdrawal, stay limited.
    other = await client.post(QUEUE, json=body("w-2", amount="99"), headers=bearer(key))
    assert other.status == 429
    assert (await client.post(QUEUE, json=body("w-5"), headers=_with(key, "k-5"))).status == 429


async def test_emergency_retries_need_neither_the_rate_limit_nor_the_node(
    wd_app: AppFactory, keys: Keys
) -> None:
    client = await _limited_app(wd_app, devnode=True, energy=SCARCE)
    key, _ = await keys.partner("acme")
    first = await client.post(EMERGENCY, json=body("w-1"), headers=_with(key, "e-1"))
    assert first.status == 201, await first.text()
    stored = await first.json()
    quotes = {}
    for wid in ("w-2", "w-3"):
        resp = await client.post(EMERGENCY, json=body(wid), headers=bearer(key))
        assert resp.status == 201
        quotes[wid] = await resp.json()
    assert (await client.post(EMERGENCY, json=body("w-4"), headers=bearer(key))).status == 429
    other_user = await client.post(EMERGENCY, json=body("w-9", user_id="u-9"), headers=bearer(key))
    assert other_user.status == 201
    node_of(client).set_fault("*", outage=True)  # no live quote can be made now
    fresh = await client.post(EMERGENCY, json=body("w-8", user_id="u-8"), headers=bearer(key))
    assert fresh.status == 503  # (new work does need the node)
    again = await client.post(EMERGENCY, json=body("w-1"), headers=_with(key, "e-1"))
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == stored
    for idem in (None, "e-3"):
        retry = await client.post(EMERGENCY, json=body("w-3"), headers=_with(key, idem))
        assert retry.status == 200, await retry.text()
        assert (await retry.json())["id"] == quotes["w-3"]["id"]
    # Under the limit, with the node down: still the stored quote, not a 503.
    retry = await client.post(EMERGENCY, json=body("w-9", user_id="u-9"), headers=bearer(key))
    assert retry.status == 200 and (await retry.json())["id"] == (await other_user.json())["id"]
    # The same key again after that: the answer it first got (200), exactly.
    keyed = await client.post(EMERGENCY, json=body("w-3"), headers=_with(key, "e-3"))
    assert keyed.status == 200 and keyed.headers["Idempotent-Replayed"] == "true"
