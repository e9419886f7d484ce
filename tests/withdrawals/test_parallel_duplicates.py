"""Parallel duplicates of one withdrawal request are retries: answered, never a 429, counted once."""

from __future__ import annotations

import asyncio

from daemon.withdrawals.state import withdrawal_state
from tests.conftest import Keys, bearer
from tests.withdrawals.conftest import AppFactory, body
from tests.withdrawals.test_retries import EMERGENCY, QUEUE, SCARCE, _limited_app, _with


async def test_parallel_queue_duplicates_count_once(wd_app: AppFactory, keys: Keys) -> None:
    client = await _limited_app(wd_app)  # 3 withdrawals a minute per user
    key, _ = await keys.partner("acme")
    for wid, idem in (("w-1", "k-1"), ("w-2", None)):
        answers = await asyncio.gather(
            *(client.post(QUEUE, json=body(wid), headers=_with(key, idem)) for _ in range(5))
        )
        statuses = sorted(r.status for r in answers)
        assert statuses == ([201] * 5 if idem else [200, 200, 200, 200, 201]), statuses
        assert len({(await r.json())["id"] for r in answers}) == 1
    # Two withdrawals used two of the three: the user's next real one is not refused.
    assert (await client.post(QUEUE, json=body("w-3"), headers=bearer(key))).status == 201
    assert (await client.post(QUEUE, json=body("w-4"), headers=bearer(key))).status == 429
    assert len(client.app[withdrawal_state].creating) == 0  # nothing held after the requests


async def test_parallel_emergency_duplicates_count_once(wd_app: AppFactory, keys: Keys) -> None:
    client = await _limited_app(wd_app, devnode=True, energy=SCARCE)
    key, _ = await keys.partner("acme")
    answers = await asyncio.gather(
        *(client.post(EMERGENCY, json=body("w-1"), headers=_with(key, "e-1")) for _ in range(5))
    )
    assert {r.status for r in answers} <= {200, 201}, [await r.text() for r in answers]
    assert len({(await r.json())["id"] for r in answers}) == 1
    for wid in ("w-2", "w-3"):
        resp = await client.post(EMERGENCY, json=body(wid), headers=bearer(key))
        assert resp.status == 201, await resp.text()
    assert (await client.post(EMERGENCY, json=body("w-4"), headers=bearer(key))).status == 429


async def test_keyed_duplicates_on_two_replicas_are_never_429_and_count_once(
    wd_app: AppFactory, keys: Keys
) -> None:
    a, b = await _limited_app(wd_app), await _limited_app(wd_app)
    key, _ = await keys.partner("acme")
    sends = [(a, b)[n % 2].post(QUEUE, json=body("w-1"), headers=_with(key, "k-1")) for n in range(6)]
    answers = await asyncio.gather(*sends)
    for resp in answers:
        assert resp.status in (201, 409), await resp.text()  # the answer, or "in progress"
        if resp.status == 409:
            assert resp.headers["Retry-After"] == "1"
    assert any(r.status == 201 for r in answers)
    # Counted once, whichever replica ran it: two more fit in the user's three.
    assert (await a.post(QUEUE, json=body("w-2"), headers=bearer(key))).status == 201
    assert (await b.post(QUEUE, json=body("w-3"), headers=bearer(key))).status == 201
    assert (await a.post(QUEUE, json=body("w-4"), headers=bearer(key))).status == 429
