"""User ids: the seed's integers are accepted as their decimal string; case is significant (opaque ids)."""

from __future__ import annotations

from typing import Any

from daemon.security.context import security_state
from tests.conftest import Keys, bearer
from tests.withdrawals.conftest import AppFactory, body

QUEUE = "/api/v1/energy/queue"
EMERGENCY = "/api/v1/energy/emergency-withdrawal"
LIMITS = {"rate_limits": {"withdrawal": {"limit": 2}, "api_call": {"limit": 10**9}}}


async def _app(wd_app: AppFactory, **kw: Any) -> Any:
    client = await wd_app(security=LIMITS, **kw)
    client.app[security_state].clock = lambda: 1_800_000_010.0  # never straddle a window edge
    return client


async def test_integer_user_ids_are_the_same_user_as_their_string(wd_app: AppFactory, keys: Keys) -> None:
    client = await _app(wd_app, devnode=True, energy={"reserve_energy": 20_000_000})
    key, _ = await keys.partner("acme")
    queued = await client.post(QUEUE, json=body("w-1", user_id=42), headers=bearer(key))
    assert queued.status == 201 and (await queued.json())["user_id"] == "42"
    quote = await client.post(EMERGENCY, json=body("w-2", user_id="42"), headers=bearer(key))
    assert quote.status == 201 and (await quote.json())["user_id"] == "42"
    # 42 and "42" are one user for the withdrawal limit (2 a minute here).
    third = await client.post(QUEUE, json=body("w-3", user_id=42), headers=bearer(key))
    assert third.status == 429
    status = await client.get("/api/v1/energy/status?user_id=42", headers=bearer(key))
    assert (await status.json())["queue_position"] == 1
    for bad in (True, 1.5, -(10**200)):
        resp = await client.post(QUEUE, json=body("w-bad", user_id=bad), headers=bearer(key))
        assert resp.status == 422 and (await resp.json())["errors"][0]["field"] == "user_id", bad


async def test_user_ids_differing_in_case_are_different_users(wd_app: AppFactory, keys: Keys) -> None:
    client = await _app(wd_app)
    key, _ = await keys.partner("acme")
    for wid in ("w-1", "w-2"):
        assert (await client.post(QUEUE, json=body(wid, user_id="Alice"), headers=bearer(key))).status == 201
    assert (await client.post(QUEUE, json=body("w-3", user_id="Alice"), headers=bearer(key))).status == 429
    other = await client.post(QUEUE, json=body("w-4", user_id="alice"), headers=bearer(key))
    assert other.status == 201 and (await other.json())["user_id"] == "alice"
