"""Per-partner rules: one instance per partner, told to that partner's own signed webhook and API."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from daemon.alerts.context import evaluate_once
from tests.alerts.conftest import SECRET, AppFactory, FakeClock, SinkFactory, state_of, until, write_rules
from tests.conftest import Keys, bearer

TO = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"
RULES = """
groups:
  - name: partners
    interval: 1h
    rules:
      - alert: PartnerQueueWaitLong
        for_each: partner
        expr: partner.waiting > 0 and partner.oldest_wait_seconds > 30 * 60
        labels: {severity: warning}
        annotations:
          summary: "{{ partner.waiting | int }} withdrawals of {{ partner.name }} waiting"
        receivers: [ops]
        notify_partner: true
"""


async def _wait(url: str, partner_id: int, n: int, minutes: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        for i in range(n):
            await conn.execute(
                "INSERT INTO energy_withdrawal_queue (partner_id, user_id, withdrawal_id, to_address, "
                "amount, currency, required_energy, created_at) "
                "VALUES ($1, 'u', $2, $3, 1, 'USDT', 65000, now() - make_interval(mins => $4))",
                partner_id,
                f"w{i}",
                TO,
                minutes,
            )
    finally:
        await conn.close()


async def test_a_stalled_partner_queue_alerts_that_partner_only(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any, database_url: str, keys: Keys
) -> None:
    ops, partner_hook = await sink(), await sink(secret=SECRET)
    write_rules(tmp_path, RULES)
    acme_key, acme = await keys.partner("acme")
    globex_key, globex = await keys.partner("globex")
    conn = await asyncpg.connect(database_url)
    await conn.execute(
        "UPDATE partners SET webhook_url = $2, webhook_secret = $3 WHERE id = $1",
        acme,
        partner_hook.url,
        SECRET,
    )
    await conn.close()
    await _wait(database_url, acme, 3, 45)
    await _wait(database_url, globex, 1, 1)  # globex's queue moves: no alert for it
    client = await alerts_app(
        clock=FakeClock(),
        settings={
            "receivers": [{"type": "webhook", "name": "ops", "url": ops.url, "allow_private": True}],
            "default_receivers": [],
            "evaluation_interval": 3600,
        },
        support={"partner_webhook_allow_private": True},
    )
    await until(lambda: state_of(client).cycles >= 1)  # the leader's first cycle already saw the queue
    await until(lambda: len(ops.received) == 1 and len(partner_hook.received) == 1)
    assert await evaluate_once(client.app) == 0  # still firing: told once
    alert = partner_hook.received[0]["alerts"][0]
    assert alert["labels"] == {
        "alertname": "PartnerQueueWaitLong",
        "severity": "warning",
        "partner": "acme",
        "partner_id": str(acme),
    }
    assert alert["annotations"] == {"summary": "3 withdrawals of acme waiting"}
    assert partner_hook.ids  # signed per Standard Webhooks with the partner's secret (verified by the sink)
    assert ops.received[0]["alerts"][0]["labels"]["partner"] == "acme"

    mine = await (await client.get("/api/v1/alerts", headers=bearer(acme_key))).json()
    assert [(a["alertname"], a["state"], a["labels"]["partner"]) for a in mine["alerts"]] == [
        ("PartnerQueueWaitLong", "firing", "acme")
    ]
    theirs = await (await client.get("/api/v1/alerts", headers=bearer(globex_key))).json()
    assert theirs == {"alerts": []}

    conn = await asyncpg.connect(database_url)
    await conn.execute("UPDATE energy_withdrawal_queue SET status = 'cancelled' WHERE partner_id = $1", acme)
    await conn.close()
    assert await evaluate_once(client.app) == 2  # resolved: to the operators and to the partner
    await until(lambda: len(partner_hook.received) == 2)
    assert partner_hook.received[1]["status"] == "resolved"
    mine = await (await client.get("/api/v1/alerts", headers=bearer(acme_key))).json()
    assert mine == {"alerts": []}


def test_notify_partner_needs_for_each_partner(tmp_path: Any) -> None:
    from daemon.alerts.rules import RuleError, load_rules
    from daemon.rule_catalog import rule_namespaces

    text = RULES.replace("for_each: partner", "for_each: pool").replace(
        "partner.waiting > 0 and partner.oldest_wait_seconds > 30 * 60", "pool.up"
    )
    path = write_rules(
        tmp_path, text.replace("{{ partner.waiting | int }} withdrawals of {{ partner.name }}", "")
    )
    fields = {ns.name: ns.fields for ns in rule_namespaces().values()}
    with pytest.raises(RuleError, match="notify_partner: needs for_each: partner"):
        load_rules(
            [path],
            fields,
            per_instance={"pool", "partner"},
            receivers=None,
            default_receivers=(),
            default_interval=30,
        )
