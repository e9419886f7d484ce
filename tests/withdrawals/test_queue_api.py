"""Enqueue, read, cancel: validation, idempotency, live FIFO positions, other partners' entries."""

from __future__ import annotations

from typing import Any

from daemon.withdrawals import waiting
from daemon.withdrawals.state import withdrawal_state
from tests.conftest import Keys, bearer
from tests.withdrawals.conftest import AppFactory, body

QUEUE = "/api/v1/energy/queue"


async def test_enqueue_retry_and_positions(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app()
    key, _ = await keys.partner("acme")
    first = await client.post(QUEUE, json=body("w-1"), headers=bearer(key))
    assert first.status == 201
    one = await first.json()
    assert one["status"] == "waiting" and one["queue_position"] == 1 and one["required_energy"] == 130_285
    assert one["amount"] == "12.5" and one["currency"] == "USDT"
    again = await client.post(QUEUE, json=body("w-1"), headers=bearer(key))
    assert (
        again.status == 200 and (await again.json())["id"] == one["id"]
    )  # a retry: same entry, not a second
    other = await client.post(QUEUE, json=body("w-1", amount="13"), headers=bearer(key))
    assert other.status == 409
    ids = [one["id"]]
    for n in (2, 3):
        resp = await client.post(QUEUE, json=body(f"w-{n}", user_id=f"u-{n}"), headers=bearer(key))
        entry = await resp.json()
        assert entry["queue_position"] == n
        ids.append(entry["id"])
    cancelled = await client.delete(f"{QUEUE}/{ids[0]}", headers=bearer(key))
    assert cancelled.status == 200 and (await cancelled.json())["status"] == "cancelled"
    # Positions are derived at read time: the others move up.
    third = await (await client.get(f"{QUEUE}/{ids[2]}", headers=bearer(key))).json()
    assert third["queue_position"] == 2
    # Without pool figures nobody can promise a time.
    assert third["estimated_wait_time"] is None


async def test_bad_input_names_the_field(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app()
    key, _ = await keys.partner("acme")
    cases: list[tuple[dict[str, Any], str]] = [
        (body(currency="TRX"), "currency"),
        (body(to_address="TXYZ" + "1" * 30), "to_address"),
        (body(amount="0"), "amount"),
        (body(amount="1.1234567"), "amount"),
        (body(amount="-5"), "amount"),
        (body(withdrawal_id="a b"), "withdrawal_id"),
        (body(user_id="x\u0000"), "user_id"),
        ({**body(), "colour": "red"}, "colour"),
    ]
    for payload, field in cases:
        resp = await client.post(QUEUE, json=payload, headers=bearer(key))
        assert resp.status == 422, payload
        assert (await resp.json())["errors"][0]["field"] == field


async def test_idempotency_key_and_other_partners(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app()
    acme, _ = await keys.partner("acme")
    globex, _ = await keys.partner("globex")
    headers = {**bearer(acme), "Idempotency-Key": "k-1"}
    first = await client.post(QUEUE, json=body(), headers=headers)
    replay = await client.post(QUEUE, json=body(), headers=headers)
    assert first.status == 201 and replay.status == 201 and replay.headers["Idempotent-Replayed"] == "true"
    entry = await first.json()
    assert (await client.get(f"{QUEUE}/{entry['id']}", headers=bearer(globex))).status == 404
    assert (await client.delete(f"{QUEUE}/{entry['id']}", headers=bearer(globex))).status == 404
    # The same withdrawal id is another partner's own withdrawal.
    theirs = await client.post(QUEUE, json=body(), headers=bearer(globex))
    assert theirs.status == 201 and (await theirs.json())["queue_position"] == 2
    assert (await client.get(f"{QUEUE}/abc", headers=bearer(acme))).status == 404


async def test_queue_gauges(wd_app: AppFactory, keys: Keys) -> None:
    import asyncio

    from tests.energy.conftest import metric

    client = await wd_app()
    key, _ = await keys.partner("acme")
    for n in range(2):
        assert (await client.post(QUEUE, json=body(f"w-{n}"), headers=bearer(key))).status == 201
    for _ in range(100):  # refreshed every 5 s from startup; the first refresh may predate the enqueues
        if await metric(client, "tronwatch_queue_waiting") == 2:
            break
        await asyncio.sleep(0.1)
    assert await metric(client, "tronwatch_queue_waiting") == 2
    # The alert rules read the same figures as `queue.*` (rules/system.yml: WithdrawalQueueWaitTooLong).
    from daemon.alerts.context import alerts_state

    queue = client.app[alerts_state].namespaces.snapshot().shared["queue"]
    assert queue["waiting"] == 2 and 0 <= queue["oldest_wait_minutes"] < 5


async def test_positions_stay_exact_while_the_waiting_base_moves_up(
    wd_app: AppFactory, keys: Keys, monkeypatch: Any
) -> None:
    # Every enqueue moves the base up by counting only the new tail; no full recount in between.
    monkeypatch.setattr(waiting, "ADVANCE_EVERY", 0.0)
    monkeypatch.setattr(waiting, "MIN_TTL", 3600.0)
    client = await wd_app()
    key, _ = await keys.partner("acme")
    totals = client.app[withdrawal_state].waiting
    for n in range(1, 6):
        resp = await client.post(QUEUE, json=body(f"t-{n}", user_id=f"u-{n}"), headers=bearer(key))
        assert resp.status == 201 and (await resp.json())["queue_position"] == n
    base = totals._base  # the one the last enqueue started from
    assert base is not None and base.advanced > base.taken and base.count == 4  # moved up, not recounted
