"""The security monitor in a running app: scanned requests, blocking mode, client IPs, failed auth."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest

from daemon.http.body import MAX_JSON_DEPTH
from tests.conftest import Keys, bearer
from tests.monitoring.conftest import WS, closed_with, metric
from tests.security.conftest import AppFactory, Clock, events, state
from tests.security.test_security_scan import BENIGN_TICKETS

SQLI, XSS, TRAVERSAL = "' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd"


async def test_the_seed_patterns_are_recorded_once_per_day_with_a_count(
    sec_app: AppFactory, keys: Keys
) -> None:
    client = await sec_app()
    partner, partner_id = await keys.partner()
    admin, _ = await keys.admin()
    for _ in range(3):
        resp = await client.get("/api/v1/energy/status", params={"user_id": SQLI}, headers=bearer(partner))
        assert resp.status == 422  # an invalid user id, not a 500
        resp = await client.post(
            "/api/v1/support/tickets", json={"title": XSS, "description": "d"}, headers=bearer(partner)
        )
        assert resp.status == 201
        resp = await client.get("/api/v1/energy/status", params={"file": TRAVERSAL}, headers=bearer(partner))
        assert resp.status == 422
    got = {e["type"]: e for e in await events(client, admin)}
    assert set(got) == {"SQL_INJECTION", "XSS", "PATH_TRAVERSAL"}
    for e in got.values():
        assert e["count"] == 3 and e["severity"] == "high"
        assert e["partner_id"] == partner_id and e["client_ip"] == "127.0.0.1"
    assert got["SQL_INJECTION"]["details"]["location"] == "query:user_id"
    assert "OR 1=1" in got["SQL_INJECTION"]["details"]["excerpt"]
    assert got["XSS"]["details"]["location"] == "body.title"
    assert got["XSS"]["route"] == "/api/v1/support/tickets" and got["XSS"]["method"] == "POST"
    assert metric(client, "tronwatch_security_events_total", type="XSS", severity="high") == 3

    # The next day the same attack is a new row, counted from one again.
    state(client).clock = lambda: time.time() + 86_400
    await client.get("/api/v1/energy/status", params={"user_id": SQLI}, headers=bearer(partner))
    sqli = [e for e in await events(client, admin) if e["type"] == "SQL_INJECTION"]
    assert sorted(e["count"] for e in sqli) == [1, 3]


async def test_attacks_without_a_key_or_on_unknown_routes_never_cause_a_500(
    sec_app: AppFactory, keys: Keys
) -> None:
    client = await sec_app()
    admin, _ = await keys.admin()
    for path in ("/api/v1/energy/status", "/nope", "/healthz"):
        for value in (SQLI, XSS, TRAVERSAL, "\x00" + XSS):
            headers = {"User-Agent": value} if value.isprintable() else {}
            resp = await client.get(path, params={"q": value}, headers=headers)
            assert resp.status < 500
    # JSON escapes are decoded before the scan; NUL and lone surrogates are stored redacted.
    for raw in (b'{"title": "\\u003cscript\\u003e\\ud800\\u0000", "x": 1}', b'{"title": "<script>", "x": ['):
        resp = await client.post(
            "/api/v1/support/tickets", data=raw, headers={"Content-Type": "application/json"}
        )
        assert resp.status == 401
    recorded = await events(client, admin)
    assert {"SQL_INJECTION", "XSS", "PATH_TRAVERSAL"} <= {e["type"] for e in recorded}
    [body] = [e for e in recorded if e["route"] == "/api/v1/support/tickets"]
    assert body["type"] == "XSS" and body["details"]["location"] == "body.title" and body["count"] == 1


async def test_blocking_mode_refuses_flagged_requests(sec_app: AppFactory, keys: Keys) -> None:
    client = await sec_app(block=True)
    partner, _ = await keys.partner()
    admin, _ = await keys.admin()
    for params in ({"user_id": SQLI}, {"q": XSS}, {"q": TRAVERSAL}):
        resp = await client.get("/api/v1/energy/status", params=params, headers=bearer(partner))
        assert resp.status == 403
        assert resp.content_type == "application/problem+json"
        assert "pattern" in (await resp.json())["detail"]
    resp = await client.post(
        "/api/v1/support/tickets", json={"title": "t", "description": XSS}, headers=bearer(partner)
    )
    assert resp.status == 403
    assert (await client.get("/healthz", params={"q": TRAVERSAL})).status == 403
    assert (await client.get("/api/v1/energy/status", headers=bearer(partner))).status == 200
    recorded = await events(client, admin)
    assert {e["type"] for e in recorded} == {"SQL_INJECTION", "XSS", "PATH_TRAVERSAL"}
    assert all(e["details"]["blocked"] for e in recorded)


async def test_forwarded_for_is_believed_only_from_trusted_proxies(sec_app: AppFactory, keys: Keys) -> None:
    admin, _ = await keys.admin()
    untrusted = await sec_app()
    headers = {"X-Forwarded-For": "203.0.113.7", **bearer("tw_bad_key")}
    assert (await untrusted.get("/api/v1/me", headers=headers)).status == 401
    assert {e["client_ip"] for e in await events(untrusted, admin, type="AUTH_FAILED")} == {"127.0.0.1"}

    trusted = await sec_app(trusted_proxies=["127.0.0.0/8"])
    headers["X-Forwarded-For"] = "6.6.6.6, 203.0.113.7"
    assert (await trusted.get("/api/v1/me", headers=headers)).status == 401
    ips = {e["client_ip"] for e in await events(trusted, admin, type="AUTH_FAILED")}
    assert "203.0.113.7" in ips and "6.6.6.6" not in ips


async def test_five_bad_keys_in_a_minute_are_multiple_failed_auth(sec_app: AppFactory, keys: Keys) -> None:
    clock = Clock(1_800_000_030.0)  # mid-minute: all five attempts land in one window
    client = await sec_app(clock=clock)
    admin, _ = await keys.admin()
    for i in range(4):
        assert (await client.get("/api/v1/me", headers=bearer(f"tw_bad_{i}"))).status == 401
    assert await events(client, admin, type="MULTIPLE_FAILED_AUTH") == []
    assert (await client.get("/api/v1/me")).status == 401  # no key at all is not a failed attempt
    assert await events(client, admin, type="MULTIPLE_FAILED_AUTH") == []
    assert (await client.get("/api/v1/me", headers=bearer("tw_bad_4"))).status == 401
    [event] = await events(client, admin, type="MULTIPLE_FAILED_AUTH")
    assert event["severity"] == "high" and event["client_ip"] == "127.0.0.1"
    assert event["details"]["threshold"] == 5 and "blocked_until" not in event["details"]
    [failed] = await events(client, admin, type="AUTH_FAILED")
    assert failed["count"] == 5
    # Recording is the default: the right key still works from that address.
    assert (await client.get("/api/v1/me", headers=bearer(admin))).status == 200


async def test_the_temporary_block_refuses_keyed_routes_until_it_ends(
    sec_app: AppFactory, keys: Keys
) -> None:
    clock = Clock(1_800_000_030.0)
    client = await sec_app(clock=clock, trusted_proxies=["127.0.0.1/32"], failed_auth={"block_seconds": 120})
    admin, _ = await keys.admin()
    attacker = {"X-Forwarded-For": "198.51.100.66"}
    for i in range(5):
        assert (await client.get("/api/v1/me", headers={**attacker, **bearer(f"tw_bad_{i}")})).status == 401
    resp = await client.get("/api/v1/me", headers={**attacker, **bearer(admin)})
    assert resp.status == 429 and resp.content_type == "application/problem+json"
    assert 1 <= int(resp.headers["Retry-After"]) <= 120
    assert (await client.get("/healthz", headers=attacker)).status == 200  # public routes stay open
    assert (
        await client.get("/api/v1/me", headers={"X-Forwarded-For": "198.51.100.1", **bearer(admin)})
    ).status == 200
    [event] = await events(client, admin, type="MULTIPLE_FAILED_AUTH")
    assert "blocked_until" in event["details"]
    assert metric(client, "tronwatch_rate_limited_total", action="failed_auth_block") == 1
    clock.advance(121)
    assert (await client.get("/api/v1/me", headers={**attacker, **bearer(admin)})).status == 200


async def test_a_block_made_on_one_replica_holds_on_another(sec_app: AppFactory, keys: Keys) -> None:
    clock = Clock(1_800_000_030.0)
    opts: dict[str, Any] = {
        "clock": clock,
        "trusted_proxies": ["127.0.0.1/32"],
        "failed_auth": {"block_seconds": 300},
    }
    a, b = await sec_app(**opts), await sec_app(**opts)
    admin, _ = await keys.admin()
    attacker = {"X-Forwarded-For": "198.51.100.66"}
    for i in range(5):
        await (a if i % 2 else b).get("/api/v1/me", headers={**attacker, **bearer(f"tw_bad_{i}")})
    await state(a).refresh()
    await state(b).refresh()  # what each replica's refresh job does every figures_interval
    for client in (a, b):
        assert (await client.get("/api/v1/me", headers={**attacker, **bearer(admin)})).status == 429


async def test_a_valid_key_on_the_wrong_role_is_unauthorized_access(sec_app: AppFactory, keys: Keys) -> None:
    client = await sec_app()
    partner, partner_id = await keys.partner()
    admin, _ = await keys.admin()
    assert (await client.get("/api/v1/admin/security/events", headers=bearer(partner))).status == 403
    [event] = await events(client, admin, type="UNAUTHORIZED_ACCESS")
    assert event["partner_id"] == partner_id and event["severity"] == "high"
    assert event["route"] == "/api/v1/admin/security/events"


@pytest.mark.parametrize("scan_enabled", [True, False])
async def test_a_body_nested_too_deeply_is_a_400_naming_the_body_never_a_500(
    sec_app: AppFactory, keys: Keys, scan_enabled: bool
) -> None:
    client = await sec_app(scan_enabled=scan_enabled)
    partner, _ = await keys.partner()
    deep = [b"[" * 5_000, b"[" * 100_000, b"[" * 5_000 + b"]" * 5_000]
    deep.append(b'{"title": ' + b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1) + b"}")
    json_type = {"Content-Type": "application/json"}
    for raw in deep:
        resp = await client.post("/api/v1/support/tickets", data=raw, headers=json_type)
        assert resp.status == 401, await resp.text()  # no key: refused before the body matters
        resp = await client.post(
            "/api/v1/support/tickets", data=raw, headers={**json_type, **bearer(partner)}
        )
        assert resp.status == 400, await resp.text()
        assert resp.content_type == "application/problem+json"
        assert (await resp.json())["errors"][0]["field"] == "(body)"
    # As deep as allowed is parsed and validated (422 on the field), not refused for its shape.
    ok = b'{"title": ' + b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1) + b"}"
    resp = await client.post("/api/v1/support/tickets", data=ok, headers={**json_type, **bearer(partner)})
    assert resp.status == 422 and (await resp.json())["errors"][0]["field"] == "title"


async def test_blocking_mode_lets_ordinary_tickets_through(sec_app: AppFactory, keys: Keys) -> None:
    client = await sec_app(block=True)
    partner, _ = await keys.partner()
    admin, _ = await keys.admin()
    for text in BENIGN_TICKETS:
        resp = await client.post(
            "/api/v1/support/tickets",
            json={"title": text[:200], "description": text},
            headers=bearer(partner),
        )
        assert resp.status == 201, (text, await resp.text())
    assert await events(client, admin) == []


async def test_bad_keys_on_the_monitoring_stream_count_like_bad_keys_on_http(
    sec_app: AppFactory, keys: Keys
) -> None:
    clock = Clock(1_800_000_030.0)
    client = await sec_app(clock=clock, trusted_proxies=["127.0.0.1/32"], failed_auth={"block_seconds": 120})
    admin, _ = await keys.admin()
    partner, partner_id = await keys.partner()
    attacker = {"X-Forwarded-For": "198.51.100.66"}
    async with client.ws_connect(WS, headers=attacker) as ws:  # no key offered: not an attempt
        await ws.send_json({"type": "get_metrics"})
        assert await closed_with(ws) == 4401
    async with client.ws_connect(WS, headers={"X-Forwarded-For": "198.51.100.1", **bearer(partner)}) as ws:
        assert await closed_with(ws) == 4401
    [wrong_role] = await events(client, admin, type="UNAUTHORIZED_ACCESS")
    assert wrong_role["partner_id"] == partner_id and wrong_role["route"] == WS
    assert await events(client, admin, type="AUTH_FAILED") == []

    for i in range(5):  # bad keys in the header and in the first message alike
        async with client.ws_connect(
            WS, headers={**attacker, **bearer(f"tw_bad_{i}")} if i % 2 else attacker
        ) as ws:
            if i % 2 == 0:
                await ws.send_json({"type": "auth", "token": f"tw_bad_{i}"})
            assert await closed_with(ws) == 4401
    [failed] = await events(client, admin, type="AUTH_FAILED")
    assert failed["count"] == 5 and failed["client_ip"] == "198.51.100.66"
    [event] = await events(client, admin, type="MULTIPLE_FAILED_AUTH")
    assert event["route"] == WS and "blocked_until" in event["details"]
    # Blocked: even the admin key cannot open the stream (or call the API) from there until it ends.
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(WS, headers={**attacker, **bearer(admin)})
    assert refused.value.status == 429
    assert (await client.get("/api/v1/me", headers={**attacker, **bearer(admin)})).status == 429
    clock.advance(121)
    async with client.ws_connect(WS, headers={**attacker, **bearer(admin)}) as ws:
        assert (await ws.receive_json())["type"] == "hello"
