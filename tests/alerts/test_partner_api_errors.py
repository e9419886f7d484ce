"""`partner.error_rate_last_5m`: one partner's 5xx answers, summed over every live replica."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from daemon.alerts.context import evaluate_once
from daemon.monitoring.state import monitoring_state
from tests.alerts.conftest import AppFactory, FakeClock, SinkFactory, state_of, until, write_rules
from tests.conftest import Keys, bearer
from tests.withdrawals.conftest import body

EMERGENCY = "/api/v1/energy/emergency-withdrawal"  # 503 without a TRON node to quote the fee
RULES = """
groups:
  - name: partners
    interval: 1h
    rules:
      - alert: PartnerApiErrors
        for_each: partner
        expr: partner.requests_last_5m >= 20 and partner.error_rate_last_5m > 0.05
        labels: {severity: warning}
        annotations:
          summary: "{{ partner.errors_last_5m | int }} of {{ partner.requests_last_5m | int }} failed"
        receivers: [ops]
"""
SUMMED = """
SELECT coalesce(sum((b->>2)::int), 0) FROM monitoring_replicas r,
  jsonb_array_elements(coalesce(r.figures->'partner_api', '[]'::jsonb)) b WHERE (b->>1)::bigint = $1
"""


async def _serve(client: Any, key: str, ok: int, failing: int, tag: str) -> None:
    for _ in range(ok):
        assert (await client.get("/api/v1/me", headers=bearer(key))).status == 200
    for i in range(failing):
        wid = f"{tag}-{i}"
        resp = await client.post(EMERGENCY, json=body(wid, user_id=f"u-{wid}"), headers=bearer(key))
        assert resp.status == 503, await resp.text()


async def test_the_error_rate_of_a_partner_is_summed_over_the_replicas(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any, database_url: str, keys: Keys
) -> None:
    ops = await sink()
    write_rules(tmp_path, RULES)
    acme_key, acme = await keys.partner("acme")
    globex_key, globex = await keys.partner("globex")
    settings = {
        "receivers": [{"type": "webhook", "name": "ops", "url": ops.url, "allow_private": True}],
        "default_receivers": [],
        "evaluation_interval": 3600,
    }
    a, b = [
        await alerts_app(clock=FakeClock(), settings=settings, monitoring={"collect_interval": 0.2})
        for _ in range(2)
    ]
    await until(lambda: state_of(a).cycles + state_of(b).cycles >= 1)  # the leader's first, idle cycle
    # Each replica alone has too few requests to judge (12 < 20); together 24, of which 4 failed.
    await _serve(a, acme_key, 10, 2, "a")
    await _serve(b, acme_key, 10, 2, "b")
    await _serve(b, globex_key, 30, 0, "g")  # globex's calls succeed: no alert for it
    conn = await asyncpg.connect(database_url)
    try:

        async def published() -> tuple[int, int]:
            return await conn.fetchval(SUMMED, acme), await conn.fetchval(SUMMED, globex)

        for _ in range(500):  # until both replicas' collectors have stored their counts
            if await published() == (24, 30):
                break
            await asyncio.sleep(0.02)
        assert await published() == (24, 30)
        assert await evaluate_once(a.app) == 1
        await until(lambda: len(ops.received) == 1)
        alert = ops.received[0]["alerts"][0]
        assert alert["labels"]["alertname"] == "PartnerApiErrors" and alert["labels"]["partner"] == "acme"
        assert alert["annotations"] == {"summary": "4 of 24 failed"}

        # A replica gone silent no longer counts: acme's 12 left on `a` are too few to judge.
        gone = b.app[monitoring_state].replica
        await b.close()
        await conn.execute(
            "UPDATE monitoring_replicas SET updated_at = now() - interval '1 hour' WHERE replica = $1", gone
        )
        assert await evaluate_once(a.app) == 1
        await until(lambda: len(ops.received) == 2)
        assert ops.received[1]["status"] == "resolved"
    finally:
        await conn.close()
