"""Waits on the devnode's accelerated clock are wall-clock waits: the release comes when predicted."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tronpy.keys import PrivateKey

from daemon import keys as app_keys
from daemon.web.status_page import page_state, status_view
from daemon.withdrawals import queue_service
from daemon.withdrawals.deps import withdrawal_deps
from tests.conftest import Keys, bearer
from tests.withdrawals.chain import node_of
from tests.withdrawals.conftest import AppFactory, body, dispatcher_started, squeeze

QUEUE = "/api/v1/energy/queue"
SPEED = 60  # chain seconds per wall second, as in the demo's recovery (120)
DEFICIT = 25_000  # energy pool-alpha must recover before the entry fits: ≈ 18 wall seconds at SPEED


async def test_predicted_wait_is_wall_time_on_a_running_clock(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app(devnode=True, energy={"scrape_interval": 0.5}, dispatch_interval=0.25)
    app, node = client.app, node_of(client)
    key, _ = await keys.partner("acme")
    await dispatcher_started(client)
    node.set_speed(SPEED)
    await squeeze(client, 130_285 - DEFICIT)
    to = PrivateKey.random().public_key.to_base58check_address()
    resp = await client.post(QUEUE, json=body("w-1", user_id="u-1", to_address=to), headers=bearer(key))
    entry: dict[str, Any] = await resp.json()
    start = time.monotonic()
    assert resp.status == 201 and entry["status"] == "waiting", entry
    # What users see, in wall minutes (the old code showed chain minutes: ~SPEED times too long).
    assert entry["estimated_wait_time"] == 1, entry
    async with app[app_keys.runtime].pool.acquire() as conn:  # the same estimate, to the second
        predicted = await queue_service.wait_seconds(conn, app[withdrawal_deps], 0, entry["required_energy"])
    assert predicted is not None and 10 <= predicted <= 25, predicted
    status = await (await client.get("/api/v1/energy/status?user_id=u-1", headers=bearer(key))).json()
    assert (status["queue_position"], status["estimated_wait_time"]) == (1, 1)
    banner = await (await client.get("/api/v1/energy/status", headers=bearer(key))).json()
    assert banner["energy_sufficient"] is False and banner["estimated_wait_time"] == 1
    # Joining now: behind this entry, one more transfer's recovery (~2 min).
    page = await status_view(app[page_state])
    assert page.state == "congested" and page.wait_minutes is not None and page.wait_minutes <= 3, page
    actual = None
    while time.monotonic() - start < 2 * predicted:
        got = await (await client.get(f"{QUEUE}/{entry['id']}", headers=bearer(key))).json()
        if got["status"] != "waiting":
            actual = time.monotonic() - start
            break
        await asyncio.sleep(0.1)
    assert actual is not None, "never released"
    # Within 10 % (the estimate is whole seconds; release waits for a scrape and a dispatch run).
    assert abs(actual - predicted) <= max(0.1 * predicted, 1.5), (actual, predicted)
