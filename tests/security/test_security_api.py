"""The events endpoint (filters, cursor pages), security.* for alert rules, and background profiling."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import UTC, datetime, timedelta

from daemon.alerts.context import alerts_state, evaluate_once
from daemon.alerts.settings import DEFAULT_RULES, AlertsSettings
from daemon.observability.profiling import profiler_key
from tests.conftest import Keys, bearer
from tests.security.conftest import AppFactory, events, state


async def test_events_filter_by_type_and_time_and_page_with_a_cursor(sec_app: AppFactory, keys: Keys) -> None:
    client = await sec_app()
    admin, _ = await keys.admin()
    sec = state(client)
    for i in range(7):
        ip = ipaddress.ip_address(f"198.51.100.{i + 1}")
        await sec.record(
            "XSS" if i % 2 else "SQL_INJECTION", ip=ip, partner_id=None, route="/r", location="q"
        )
    everything = await events(client, admin, limit=2)
    assert len(everything) == 7
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 7  # newest first, no repeats across pages
    xss = await events(client, admin, type="XSS", limit=1)
    assert [e["client_ip"] for e in xss] == ["198.51.100.6", "198.51.100.4", "198.51.100.2"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await events(client, admin, since=future) == []
    past = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None).isoformat()  # no offset: UTC
    assert len(await events(client, admin, since=past, type="SQL_INJECTION")) == 4

    h = bearer(admin)
    for params, field in (
        ({"cursor": "abc"}, "cursor"),
        ({"cursor": "9613611725610581235"}, "cursor"),  # past int64: a 500 before (found by schemathesis)
        ({"type": "NOPE"}, "type"),
        ({"since": "x"}, "since"),
    ):
        resp = await client.get("/api/v1/admin/security/events", params=params, headers=h)
        assert resp.status == 422
        assert (await resp.json())["errors"][0]["field"] == field


async def test_the_default_security_rule_fires_on_an_attack(sec_app: AppFactory, keys: Keys) -> None:
    client = await sec_app()
    alerts = client.app[alerts_state]
    alerts.settings = AlertsSettings(rule_files=[DEFAULT_RULES / "security.yml"], evaluation_interval=3600)
    from daemon.alerts.context import reload

    reload(alerts)
    partner, _ = await keys.partner()
    admin, _ = await keys.admin()
    await state(client).refresh()
    await evaluate_once(client.app)
    assert not [i for i in alerts.evaluator.instances.values() if i.state == "firing"]
    for _ in range(2):
        await client.get("/api/v1/energy/status", params={"user_id": "' OR 1=1 --"}, headers=bearer(partner))
    await state(client).refresh()  # what the refresh job does every figures_interval
    assert state(client).figures is not None
    assert state(client).figures["sql_injection_last_5m"] == 2
    await evaluate_once(client.app)
    resp = await client.get("/api/v1/admin/alerts", headers=bearer(admin))
    firing = [a for a in (await resp.json())["alerts"] if a["state"] == "firing"]
    assert [a["alertname"] for a in firing] == ["SecuritySevereEvents"]
    assert "SQL injection 2" in firing[0]["annotations"]["summary"]


async def test_the_default_security_rule_fires_on_unauthorized_access(
    sec_app: AppFactory, keys: Keys
) -> None:
    client = await sec_app()
    alerts = client.app[alerts_state]
    alerts.settings = AlertsSettings(rule_files=[DEFAULT_RULES / "security.yml"], evaluation_interval=3600)
    from daemon.alerts.context import reload

    reload(alerts)
    partner, _ = await keys.partner()
    admin, _ = await keys.admin()
    resp = await client.get("/api/v1/admin/security/events", headers=bearer(partner))
    assert resp.status == 403  # the issue counts this among the severe events
    await state(client).refresh()
    assert state(client).figures is not None
    assert state(client).figures["severe_last_5m"] == 1
    await evaluate_once(client.app)
    resp = await client.get("/api/v1/admin/alerts", headers=bearer(admin))
    firing = [a for a in (await resp.json())["alerts"] if a["state"] == "firing"]
    assert [a["alertname"] for a in firing] == ["SecuritySevereEvents"]
    assert "unauthorized access 1" in firing[0]["annotations"]["summary"]


async def test_background_jobs_time_into_their_own_apps_profiler(sec_app: AppFactory) -> None:
    client = await sec_app()
    prof = client.app[profiler_key]
    for _ in range(250):  # the evaluator starts on its lease, in a task started by the app
        if any(s.operation == "alerts.rule_evaluation" for s in prof.stats()):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("rule evaluation was never profiled")
