"""The autopilot acting on the devnode: plan changes nothing, act delegates and reclaims, exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from daemon.autopilot import actions_repo
from tests.autopilot.conftest import RESERVE, PilotFactory
from tests.conftest import Keys, bearer

DAY = 86_400


async def test_plan_mode_changes_nothing_until_an_admin_approves(pilot: PilotFactory, keys: Keys) -> None:
    p = await pilot(mode="plan")
    for _ in range(3):
        await p.cycle()
    assert await p.delegated("pool-gamma") == 0  # nothing on chain
    planned = await p.actions("planned")
    assert len(planned) == 1  # repeated plans refresh one record, they do not pile up
    action = planned[0]
    assert action["kind"] == "delegate" and action["receiver_address"] == p.address("pool-gamma")
    admin, _ = await keys.admin()
    body = await (await p.client.get("/api/v1/admin/autopilot/actions", headers=bearer(admin))).json()
    assert [a["state"] for a in body["actions"]] == ["planned"]
    assert "pool-gamma" in body["actions"][0]["reason"] and "short now" in body["actions"][0]["reason"]
    overview = await (await p.client.get("/api/v1/admin/autopilot", headers=bearer(admin))).json()
    assert overview["mode"] == "plan" and overview["pools_short"][0]["pool"] == "pool-gamma"

    resp = await p.client.post(
        f"/api/v1/admin/autopilot/actions/{action['id']}/approve", headers=bearer(admin)
    )
    assert resp.status == 200 and (await resp.json())["state"] == "approved"
    again = await p.client.post(
        f"/api/v1/admin/autopilot/actions/{action['id']}/approve", headers=bearer(admin)
    )
    assert again.status == 409
    await p.cycle()  # sign and broadcast
    await p.cycle()  # confirm
    assert await p.delegated("pool-gamma") == action["amount_sun"]
    assert [a["state"] for a in await p.actions()] == ["confirmed"]


async def test_an_admin_can_cancel_a_planned_action(pilot: PilotFactory, keys: Keys) -> None:
    p = await pilot(mode="plan")
    await p.cycle()
    (action,) = await p.actions("planned")
    admin, _ = await keys.admin()
    resp = await p.client.post(
        f"/api/v1/admin/autopilot/actions/{action['id']}/cancel", headers=bearer(admin)
    )
    assert resp.status == 200 and (await resp.json())["state"] == "cancelled"
    missing = await p.client.post("/api/v1/admin/autopilot/actions/999999/approve", headers=bearer(admin))
    assert missing.status == 404
    assert (
        await p.client.get("/api/v1/admin/autopilot/actions?limit=0", headers=bearer(admin))
    ).status == 422
    assert await p.delegated("pool-gamma") == 0


async def test_act_delegates_to_the_short_pool_then_reclaims_after_the_lock(pilot: PilotFactory) -> None:
    p = await pilot(mode="act", lock_blocks=2 * DAY // 3)  # locked for two days
    await p.cycle()
    await p.cycle()
    (action,) = await p.actions("confirmed")
    assert action["owner_address"] == RESERVE and action["lock_blocks"] == 2 * DAY // 3
    assert await p.delegated("pool-gamma") == action["amount_sun"]
    # A day later the pool's own energy has recovered, but the lock holds: nothing is reclaimed.
    p.node.advance(DAY)
    await p.cycle()
    assert [a["kind"] for a in await p.actions()] == ["delegate"]
    assert await p.delegated("pool-gamma") == action["amount_sun"]
    # Past the lock: the reserve takes its energy back.
    p.node.advance(DAY + 600)
    await p.cycle()
    await p.cycle()
    kinds = [(a["kind"], a["state"]) for a in await p.actions()]
    assert kinds == [("delegate", "confirmed"), ("undelegate", "confirmed")]
    assert await p.delegated("pool-gamma") == 0


async def test_exactly_once_across_a_crash_between_broadcast_and_confirm(
    pilot: PilotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = await pilot(mode="act")
    real_move = actions_repo.move

    async def crash_after_broadcast(conn: Any, action_id: int, frm: Any, to: str, **values: Any) -> Any:
        if to == "broadcast":
            raise ConnectionResetError("the daemon died right after broadcasting")
        return await real_move(conn, action_id, frm, to, **values)

    monkeypatch.setattr(actions_repo, "move", crash_after_broadcast)
    with pytest.raises(ConnectionResetError):
        await p.cycle()
    monkeypatch.setattr(actions_repo, "move", real_move)
    (action,) = await p.actions()
    assert action["state"] == "signing" and action["txid"]  # the record says: maybe sent
    delegated = await p.delegated("pool-gamma")
    assert delegated == action["amount_sun"]  # it was sent
    for _ in range(3):  # the restarted leader settles it from the chain and never sends it again
        await p.cycle()
    (after,) = await p.actions()
    assert after["state"] == "confirmed" and after["txid"] == action["txid"]
    assert await p.delegated("pool-gamma") == delegated
    sent = [t for t in p.node.chain.txs.values() if t.contract_type == "DelegateResourceContract"]
    assert len(sent) == 1


async def test_stake_more_when_the_reserve_has_nothing_staked(pilot: PilotFactory) -> None:
    p = await pilot(mode="act", stake_trx=0, daily_stake_trx="50000", sources=["rebalance", "stake"])
    p.node.add_account({"name": "reserve", "seed": "autopilot-test-reserve", "trx": 100_000})
    await p.cycle()
    await p.cycle()
    (stake,) = await p.actions("confirmed")
    assert stake["kind"] == "stake" and stake["owner_address"] == RESERVE
    assert p.node.account("reserve").frozen_energy == stake["amount_sun"]
    await p.cycle()  # the new stake is delegated to the pool next
    await p.cycle()
    kinds = [(a["kind"], a["state"]) for a in await p.actions()]
    assert kinds == [("stake", "confirmed"), ("delegate", "confirmed")]
    assert await p.delegated("pool-gamma") > 0
