"""/ws/monitoring: updates each interval, get_metrics at once, auth and Origin, graceful shutdown."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import aiohttp
import pytest

from tests.conftest import Keys, bearer
from tests.monitoring.conftest import INTERVAL, WS, AppFactory, closed_with, metric, next_of, state_of


async def test_a_client_receives_an_update_every_interval(mon_app: AppFactory, keys: Keys) -> None:
    client = await mon_app()
    admin, _ = await keys.admin()
    async with client.ws_connect(WS, headers=bearer(admin)) as ws:
        hello = await next_of(ws, "hello")
        assert hello["data"]["replica"] == state_of(client).replica
        first = await next_of(ws, "metrics_update")
        # Each later update follows within two intervals (plus CI scheduling slack), with a newer snapshot.
        updates = [first]
        for _ in range(3):
            updates.append(await next_of(ws, "metrics_update", timeout=2 * INTERVAL + 0.5))
        stamps = [datetime.fromisoformat(m["data"]["collected_at"]) for m in updates]
        assert stamps == sorted(set(stamps))
        last = updates[-1]["data"]
        assert set(last) >= {"api", "db", "energy", "partners", "transactions", "replicas"}
        assert last["db"]["up"] is True


async def test_get_metrics_answers_at_once(mon_app: AppFactory, keys: Keys) -> None:
    client = await mon_app(collect_interval=60)  # no tick can be mistaken for the answer
    admin, _ = await keys.admin()
    for _ in range(100):  # the first snapshot is published as soon as the lease is taken
        if state_of(client).current is not None:
            break
        await asyncio.sleep(0.05)
    current = state_of(client).current
    assert current is not None
    async with client.ws_connect(WS) as ws:
        await ws.send_json({"type": "auth", "token": admin})  # how browsers authenticate
        await next_of(ws, "hello")
        await next_of(ws, "metrics_update")  # the greeting: the current snapshot
        await ws.send_json({"type": "get_metrics"})
        answer = await next_of(ws, "metrics_update", timeout=1)
        assert datetime.fromisoformat(answer["data"]["collected_at"]) == current.collected_at
        await ws.send_str("nonsense")
        assert (await next_of(ws, "error", timeout=1))["data"]["detail"].startswith("unknown message")
        await ws.send_str("[" * 5000)  # too deep for the parser: an unknown message, not a broken stream
        assert (await next_of(ws, "error", timeout=1))["data"]["detail"].startswith("unknown message")


@pytest.mark.parametrize(
    "how", ["nothing", "bad_header", "bad_message", "deep_message", "partner_header", "partner_message"]
)
async def test_without_an_admin_key_the_socket_is_closed_4401(
    mon_app: AppFactory, keys: Keys, how: str
) -> None:
    client = await mon_app(ws_auth_timeout=0.3)
    partner, _ = await keys.partner()
    headers = {"bad_header": bearer("tw_deadbeef_nope"), "partner_header": bearer(partner)}.get(how, {})
    async with client.ws_connect(WS, headers=headers) as ws:
        if how == "bad_message":
            await ws.send_json({"type": "auth", "token": "tw_deadbeef_nope"})
        elif how == "partner_message":
            await ws.send_json({"type": "auth", "token": partner})
        elif how == "deep_message":  # exhausts the JSON parser's stack: was an unhandled error, no 4401
            await ws.send_str("[" * 5000)
        assert await closed_with(ws) == 4401
    assert not state_of(client).hub.clients


async def test_a_browser_from_another_origin_is_refused(mon_app: AppFactory, keys: Keys) -> None:
    client = await mon_app(ws_allowed_origins=["https://ops.example.com"])
    admin, _ = await keys.admin()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(WS, headers={**bearer(admin), "Origin": "https://evil.example"})
    assert refused.value.status == 403
    for origin in ("https://ops.example.com", f"http://{client.server.host}:{client.server.port}"):
        async with client.ws_connect(WS, headers={**bearer(admin), "Origin": origin}) as ws:
            await next_of(ws, "hello")


async def test_plain_http_gets_426_and_partners_403(mon_app: AppFactory, keys: Keys) -> None:
    client = await mon_app()
    admin, _ = await keys.admin()
    partner, _ = await keys.partner()
    assert (await client.get(WS, headers=bearer(admin))).status == 426
    assert (await client.get(WS, headers=bearer(partner))).status == 403
    assert (await client.get(WS)).status == 401


async def test_clients_get_a_close_frame_when_the_server_stops(mon_app: AppFactory, keys: Keys) -> None:
    client = await mon_app()
    admin, _ = await keys.admin()
    session = aiohttp.ClientSession()
    try:
        ws = await session.ws_connect(client.make_url(WS), headers=bearer(admin))
        await next_of(ws, "hello")
        closing = asyncio.create_task(closed_with(ws))
        await client.close()
        assert await closing == 1001
    finally:
        await session.close()


async def test_alert_and_energy_events_reach_the_stream(mon_app: AppFactory, keys: Keys) -> None:
    from daemon.alerts.notices import Cycle
    from daemon.alerts.state import Instance
    from daemon.monitoring.context import alerts_changed, energy_changed
    from tests.monitoring.test_replicas import snapshot_at

    client = await mon_app()
    admin, _ = await keys.admin()
    state = state_of(client)
    async with client.ws_connect(WS, headers=bearer(admin)) as ws:
        await next_of(ws, "hello")
        now = 1_700_000_000.0
        firing = Instance("fp1", "EnergyLow", {"alertname": "EnergyLow"}, state="firing", fired_at=now)
        firing.annotations = {"summary": "x" * 20_000}  # too long for NOTIFY: trimmed, still delivered
        alerts_changed(state, Cycle(changed=[firing]), now)
        got = await next_of(ws, "alert_firing")
        assert got["data"]["alertname"] == "EnergyLow" and len(got["data"]["annotations"]["summary"]) == 500
        energy_changed(state, snapshot_at(0.5), snapshot_at(0.96), True)
        event = await next_of(ws, "energy_state")
        assert (event["data"]["previous"], event["data"]["level"]) == ("ok", "critical")


class _Unreachable:
    """A pool whose every acquire fails, as when PostgreSQL is down."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def acquire(self, **_: Any) -> Any:
        raise OSError("connection refused")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


async def test_without_the_database_clients_still_get_this_replicas_figures(
    mon_app: AppFactory, keys: Keys
) -> None:
    from daemon import keys as app_keys

    client = await mon_app()
    admin, _ = await keys.admin()
    runtime = client.app[app_keys.runtime]
    async with client.ws_connect(WS, headers=bearer(admin)) as ws:
        await next_of(ws, "metrics_update")
        real, runtime.pool = runtime.pool, _Unreachable(runtime.pool)
        try:
            for _ in range(10):
                update = await next_of(ws, "metrics_update", timeout=4 * INTERVAL + 2)
                if update["data"]["source"] == "local":
                    break
        finally:
            runtime.pool = real
        assert update["data"]["source"] == "local" and update["data"]["db"]["up"] is False
        assert update["data"]["api"]["probe_ms"] > 0  # the HTTP side still answers


RULE = """
groups:
  - name: live
    interval: 1h
    rules:
      - alert: DatabaseAnswers
        expr: db.up
        labels: {severity: info}
        annotations: {summary: "the database answers"}
"""


async def test_a_rule_that_fires_is_announced_on_the_stream(
    mon_app: AppFactory, keys: Keys, tmp_path: Any
) -> None:
    from daemon.alerts.context import alerts_state, evaluate_once, reload

    rules = tmp_path / "rules"
    rules.mkdir()
    client = await mon_app()
    client.app[alerts_state].settings = client.app[alerts_state].settings.model_copy(
        update={"rule_files": (rules,)}
    )
    admin, _ = await keys.admin()
    async with client.ws_connect(WS, headers=bearer(admin)) as ws:
        await next_of(ws, "hello")
        (rules / "live.yml").write_text(RULE)
        reload(client.app[alerts_state])
        await evaluate_once(client.app)
        event = await next_of(ws, "alert_firing")
    assert event["data"]["alertname"] == "DatabaseAnswers"
    assert event["data"]["annotations"] == {"summary": "the database answers"}


async def test_a_stream_ends_4401_when_its_key_is_revoked(mon_app: AppFactory, keys: Keys) -> None:
    client = await mon_app(auth={"key_cache_seconds": 0.5})
    admin, _ = await keys.admin("alice")
    other, other_id = await keys.admin("bob")
    async with (
        client.ws_connect(WS, headers=bearer(other)) as ws,
        client.ws_connect(WS, headers=bearer(admin)) as stays,
    ):
        await next_of(ws, "hello")
        resp = await client.delete(f"/api/v1/admin/keys/{other_id}", headers=bearer(admin))
        assert resp.status == 200
        assert await closed_with(ws) == 4401
        await next_of(stays, "metrics_update")  # another admin's stream goes on


async def test_a_streams_lifetime_is_counted_but_not_timed_as_a_request(
    mon_app: AppFactory, keys: Keys
) -> None:
    """Otherwise one long-lived admin stream would dominate the per-route request p99."""
    client = await mon_app()
    admin, _ = await keys.admin()
    async with client.ws_connect(WS, headers=bearer(admin)) as ws:
        await next_of(ws, "hello")
    stream = {"route": WS, "method": "GET", "status": "101"}
    for _ in range(100):  # counted once the handler returns, just after the close
        if metric(client, "tronwatch_http_requests_total", **stream) == 1:
            break
        await asyncio.sleep(0.05)
    assert metric(client, "tronwatch_http_requests_total", **stream) == 1
    assert metric(client, "tronwatch_http_request_duration_seconds_count", **stream) == 0
    await client.get("/healthz")
    probe = {**stream, "route": "/healthz", "status": "200"}
    assert metric(client, "tronwatch_http_request_duration_seconds_count", **probe) >= 1
