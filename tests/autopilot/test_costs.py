"""The cost ledger: a withdrawal sent on the devnode is recorded once its receipt is solid."""

from __future__ import annotations

import asyncio
from typing import Any

from tronpy.keys import PrivateKey

from daemon import keys as app_keys
from daemon.autopilot.costs_context import CostJob
from daemon.autopilot.costs_model import split
from daemon.energy.runtime import energy_runtime
from tests.autopilot.conftest import AppFactory
from tests.conftest import Keys, bearer
from tests.energy.conftest import metric

QUEUE = "/api/v1/energy/queue"
COSTS = "/api/v1/admin/energy/costs"


async def _send_one(client: Any, partner: str) -> dict[str, Any]:
    """Enqueue a withdrawal and let the dispatcher and the demo executor send it on the devnode."""
    node = client.app[app_keys.runtime].devnode
    to = PrivateKey.random().public_key.to_base58check_address()
    body = {"withdrawal_id": "w-cost", "user_id": "u-1", "to_address": to, "amount": "3"}
    entry = await (await client.post(QUEUE, json=body, headers=bearer(partner))).json()
    for _ in range(300):
        got: dict[str, Any] = await (
            await client.get(f"{QUEUE}/{entry['id']}", headers=bearer(partner))
        ).json()
        if got["status"] == "completed":
            return got
        node.advance(3)
        await asyncio.sleep(0.05)
    raise AssertionError(f"never completed: {got}")


async def test_a_completed_withdrawal_is_split_into_staked_and_delegated_energy(
    auto_app: AppFactory, keys: Keys
) -> None:
    client = await auto_app(demo_executor=True, dispatch_interval=0.1, executor_interval=0.05)
    app, runtime = client.app, client.app[app_keys.runtime]
    node = runtime.devnode
    node.add_account({"name": "renter", "seed": "rental-provider", "trx": 100, "staked_energy_trx": 300_000})
    for pool in ("pool-alpha", "pool-beta", "pool-gamma"):  # whichever the dispatcher picks has some
        node.delegate_energy("renter", pool, 100_000)
    node.advance(3)
    await app[energy_runtime].scraper.cycle()
    partner, _ = await keys.partner("acme")
    admin, _ = await keys.admin()
    sent = await _send_one(client, partner)
    job = CostJob(app, app[app_keys.settings].costs)
    assert await job.once() == 0  # not solid yet: the ledger waits
    costs = await (await client.get(COSTS, headers=bearer(admin))).json()
    assert costs["pending"] == 1 and costs["buckets"] == []
    node.advance(120)  # past the solidity lag
    job.clock = lambda: job_clock_later()
    assert await job.once() == 1
    assert await job.once() == 0  # recorded once only
    receipt = (await runtime.tron.get_solid_transaction_info(sent["tx_hash"]))["receipt"]
    pool = next(p for p in app[energy_runtime].holder.current.pools if p.name == sent["pool"])
    costs = await (await client.get(COSTS, headers=bearer(admin))).json()
    day = costs["total"]
    assert costs["pending"] == 0 and day["payouts"] == 1
    assert day["staked_energy"] + day["delegated_energy"] == receipt["energy_usage"]
    share = pool.acquired_energy / pool.energy_limit
    assert abs(day["delegated_energy"] - receipt["energy_usage"] * share) <= 1
    assert day["delegated_energy"] > 0 and day["trx_burned"] == "0"
    fee = app[energy_runtime].holder.current.energy_fee_sun
    assert float(day["cost_trx"]) == receipt["energy_usage"] * fee / 1e6
    assert float(day["cost_per_payout_trx"]) == float(day["cost_trx"])
    spent = await metric(client, "tronwatch_energy_spent_total", source="delegated")
    assert spent == day["delegated_energy"]
    assert await metric(client, "tronwatch_withdrawal_cost_sun_count") == 1


def job_clock_later() -> Any:
    """Wall time well past the first retry."""
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) + timedelta(hours=1)


def test_a_burned_receipt_counts_the_trx_and_its_energy() -> None:
    # Shape of a recorded mainnet USDT receipt (java-tron omits zero fields): the sender had 30,000
    # energy of its own, burned the rest at 100 sun, and the deployer paid its origin share.
    info = {"receipt": {"energy_usage": 30_000, "energy_fee": 3_428_500, "origin_energy_usage": 8_000,
                        "energy_usage_total": 72_285, "result": "SUCCESS"}}  # fmt: skip
    cost = split(info, energy_fee_sun=100, own_ratio=0.75, user_paid=False)
    assert (cost.staked_energy, cost.delegated_energy, cost.burned_energy) == (22_500, 7_500, 34_285)
    assert cost.burned_sun == 3_428_500 and cost.user_fee_energy == 0
    assert cost.cost_sun == 30_000 * 100 + 3_428_500
    paid_by_user = split(info, energy_fee_sun=100, own_ratio=1.0, user_paid=True)
    assert paid_by_user.user_fee_energy == 34_285


async def test_costs_query_errors_name_the_field(auto_app: AppFactory, keys: Keys) -> None:
    client = await auto_app()
    admin, _ = await keys.admin()
    for query, field in (("step=60", "step"), ("since=yesterday", "since"), ("step=x", "step")):
        got = await client.get(f"{COSTS}?{query}", headers=bearer(admin))
        assert got.status == 422 and got.content_type == "application/problem+json"
        assert field in await got.text()
    partner, _ = await keys.partner("acme")
    assert (await client.get(COSTS, headers=bearer(partner))).status == 403
