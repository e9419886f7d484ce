"""Rate limits: the sliding-window decision, and limits that hold across two replicas on one database."""

from __future__ import annotations

import pytest

from tests.conftest import Keys, bearer
from tests.monitoring.conftest import metric
from tests.security.conftest import AppFactory, Clock, events, state

TO = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"
MID = 1_800_000_030.0  # 30 s into a minute window


def withdrawal(wid: str, user: str = "u-1") -> dict[str, str]:
    return {"withdrawal_id": wid, "user_id": user, "to_address": TO, "amount": "1", "currency": "USDT"}


def test_decision_weighs_the_previous_window_by_its_overlap() -> None:
    from daemon.security.ratelimit import decide

    assert decide(3, 60, MID, 3, 0).allowed
    refused = decide(3, 60, MID, 4, 0)
    # The next call fits once the three (now in the previous window) weigh 2: a third into the next one.
    assert not refused.allowed and refused.retry_after == 50
    assert decide(3, 60, MID + 50, 1, 3).allowed
    assert not decide(3, 60, MID + 49, 1, 3).allowed
    # Early in a window after a full one: wait until enough of it has slid out.
    early = decide(10, 60, 1_800_000_006.0, 1, 12)
    assert not early.allowed and early.estimate == pytest.approx(11.8)
    assert early.retry_after == 9  # at a quarter of the window 12 weigh 9, and one more fits
    assert decide(10, 60, 1_800_000_015.0, 1, 12).allowed


async def test_withdrawal_limit_holds_across_two_replicas(sec_app: AppFactory, keys: Keys) -> None:
    limits = {"withdrawal": {"limit": 3}, "api_call": {"limit": 10**9}}
    a = await sec_app(rate_limits=limits)
    b = await sec_app(rate_limits=limits)
    partner, partner_id = await keys.partner()
    admin, _ = await keys.admin()
    h = bearer(partner)
    assert (await a.post("/api/v1/energy/queue", json=withdrawal("w1"), headers=h)).status == 201
    assert (await b.post("/api/v1/energy/queue", json=withdrawal("w2"), headers=h)).status == 201
    assert (await a.post("/api/v1/energy/queue", json=withdrawal("w3"), headers=h)).status == 201
    resp = await b.post("/api/v1/energy/queue", json=withdrawal("w4"), headers=h)
    assert resp.status == 429 and resp.content_type == "application/problem+json"
    assert 1 <= int(resp.headers["Retry-After"]) <= 80  # at most 1 + 1/3 windows for three a minute
    assert "withdrawal" in (await resp.json())["detail"]
    # Emergency creation is the same action for the same user (refused before any quote is asked for).
    resp = await a.post("/api/v1/energy/emergency-withdrawal", json=withdrawal("e1"), headers=h)
    assert resp.status == 429
    # Another end user of the same partner has a limit of their own.
    assert (await a.post("/api/v1/energy/queue", json=withdrawal("w5", "u-2"), headers=h)).status == 201
    assert metric(b, "tronwatch_rate_limited_total", action="withdrawal") == 1
    assert metric(a, "tronwatch_rate_limited_total", action="withdrawal") == 1
    refused = await events(a, admin, type="RATE_LIMIT_EXCEEDED")
    assert {e["route"] for e in refused} == {"/api/v1/energy/queue", "/api/v1/energy/emergency-withdrawal"}
    assert all(e["partner_id"] == partner_id and e["details"]["action"] == "withdrawal" for e in refused)


async def test_api_call_limit_per_key_across_replicas_and_retry_after(
    sec_app: AppFactory, keys: Keys
) -> None:
    clock = Clock(MID)
    limits = {"withdrawal": {"limit": 10**9}, "api_call": {"limit": 5, "window_seconds": 60}}
    a = await sec_app(rate_limits=limits, clock=clock)
    b = await sec_app(rate_limits=limits, clock=clock)
    partner, _ = await keys.partner()
    other, _ = await keys.partner("globex")
    for i in range(5):
        assert (await (a if i % 2 else b).get("/api/v1/me", headers=bearer(partner))).status == 200
    resp = await a.get("/api/v1/me", headers=bearer(partner))
    assert resp.status == 429
    retry = int(resp.headers["Retry-After"])
    assert (await b.get("/api/v1/me", headers=bearer(other))).status == 200  # per key
    assert (await b.get("/healthz")).status == 200  # public routes are not limited
    clock.advance(retry - 1)
    assert (await b.get("/api/v1/me", headers=bearer(partner))).status == 429
    clock.advance(1)  # refused calls were not counted: the promised time holds
    assert (await b.get("/api/v1/me", headers=bearer(partner))).status == 200


async def test_refusals_are_one_event_per_window_but_every_one_is_counted(
    sec_app: AppFactory, keys: Keys
) -> None:
    clock = Clock(MID)
    client = await sec_app(rate_limits={"api_call": {"limit": 1}}, clock=clock)
    partner, _ = await keys.partner()
    admin, _ = await keys.admin()
    statuses = [(await client.get("/api/v1/me", headers=bearer(partner))).status for _ in range(6)]
    assert statuses == [200, 429, 429, 429, 429, 429]
    assert metric(client, "tronwatch_rate_limited_total", action="api_call") == 5
    clock.advance(600)  # a later window: the admin's own calls fit again
    [event] = await events(client, admin, type="RATE_LIMIT_EXCEEDED")
    assert event["count"] == 1


async def test_a_disabled_limit_is_not_checked(sec_app: AppFactory, keys: Keys) -> None:
    client = await sec_app(rate_limits={"api_call": {"limit": 1, "enabled": False}})
    partner, _ = await keys.partner()
    for _ in range(5):
        assert (await client.get("/api/v1/me", headers=bearer(partner))).status == 200


async def test_without_its_database_the_limit_fails_open(sec_app: AppFactory, keys: Keys) -> None:
    client = await sec_app(rate_limits={"api_call": {"limit": 1}})
    partner, _ = await keys.partner()
    assert (await client.get("/api/v1/me", headers=bearer(partner))).status == 200
    await state(client).own_pool.close()  # the security pool is gone: nothing can be counted
    for _ in range(3):
        assert (await client.get("/api/v1/me", headers=bearer(partner))).status == 200


async def test_without_its_database_withdrawal_creation_fails_closed(
    sec_app: AppFactory, keys: Keys, database_url: str
) -> None:
    import asyncpg

    client = await sec_app(rate_limits={"withdrawal": {"limit": 1}, "api_call": {"limit": 10**9}})
    partner, _ = await keys.partner()
    h = bearer(partner)
    await state(client).own_pool.close()  # the limit cannot be counted, but the main database works
    for path in ("/api/v1/energy/queue", "/api/v1/energy/emergency-withdrawal"):
        resp = await client.post(path, json=withdrawal("w1"), headers=h)
        assert resp.status == 503 and resp.content_type == "application/problem+json"
        assert int(resp.headers["Retry-After"]) > 0
        assert "withdrawal limit" in (await resp.json())["detail"]
    assert (await client.get("/api/v1/me", headers=h)).status == 200  # other routes still fail open
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM energy_withdrawal_queue") == 0
        assert await conn.fetchval("SELECT count(*) FROM emergency_withdrawals") == 0
    finally:
        await conn.close()
