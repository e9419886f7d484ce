"""Authorization matrix over every route: who gets 401, 403, 404 or success, exactly.

Every later issue adds its routes here; test_matrix_covers_every_route fails until it does.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import Keys, bearer

PRINCIPALS = ("none", "bad", "revoked", "partner", "other_partner", "admin")
ANYONE = dict.fromkeys(PRINCIPALS, 200)
ADMIN_ONLY = {"none": 401, "bad": 401, "revoked": 401, "partner": 403, "other_partner": 403, "admin": 200}
NEW_POOL = "TUv8wiXJrEVBLGuCdUR64nfwUojezvzMga"
ANY_KEY = {"none": 401, "bad": 401, "revoked": 401, "partner": 200, "other_partner": 200, "admin": 200}
# Objects owned by the partner "acme": the other partner gets 404, as if it did not exist.
OWN = {**ANY_KEY, "other_partner": 404}
PARTNER_OWN = {**OWN, "admin": 403}
TO = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"
WITHDRAWAL = {"withdrawal_id": "m1", "user_id": "u1", "to_address": TO, "amount": "1", "currency": "USDT"}

# (method, route template, concrete path, body, expected status per principal)
MATRIX: list[tuple[str, str, str, Any, dict[str, int]]] = [
    # 503 until the first snapshot; tests/monitoring cover the figures.
    ("GET", "/api/v1/admin/monitoring/metrics", "/api/v1/admin/monitoring/metrics", None, ADMIN_ONLY),
    # Plain HTTP (no Upgrade) to the stream: admins learn it is a WebSocket; tests/monitoring cover 4401.
    ("GET", "/ws/monitoring", "/ws/monitoring", None, {**ADMIN_ONLY, "admin": 426}),
    ("GET", "/healthz", "/healthz", None, ANYONE),
    ("GET", "/readyz", "/readyz", None, ANYONE),
    ("GET", "/metrics", "/metrics", None, ANYONE),
    ("GET", "/openapi.json", "/openapi.json", None, ANYONE),
    ("GET", "/status", "/status", None, ANYONE),
    ("GET", "/status/embed", "/status/embed", None, ANYONE),
    ("GET", "/api/v1/me", "/api/v1/me", None, ANY_KEY),
    (
        "POST",
        "/api/v1/admin/partners",
        "/api/v1/admin/partners",
        {"name": "new"},
        {**ADMIN_ONLY, "admin": 201},
    ),
    ("GET", "/api/v1/admin/partners", "/api/v1/admin/partners", None, ADMIN_ONLY),
    ("GET", "/api/v1/admin/partners/{id}", "/api/v1/admin/partners/{partner_id}", None, ADMIN_ONLY),
    (
        "POST",
        "/api/v1/admin/partners/{id}/keys",
        "/api/v1/admin/partners/{partner_id}/keys",
        {},
        {**ADMIN_ONLY, "admin": 201},
    ),
    ("GET", "/api/v1/admin/keys", "/api/v1/admin/keys", None, ADMIN_ONLY),
    (
        "PUT",
        "/api/v1/admin/partners/{id}/webhook",
        "/api/v1/admin/partners/{partner_id}/webhook",
        {"url": None},
        ADMIN_ONLY,
    ),
    ("DELETE", "/api/v1/admin/keys/{id}", "/api/v1/admin/keys/{spare_key_id}", None, ADMIN_ONLY),
    ("GET", "/api/v1/energy/status", "/api/v1/energy/status", None, {**ANY_KEY, "admin": 403}),
    ("GET", "/api/v1/admin/energy/status", "/api/v1/admin/energy/status", None, ADMIN_ONLY),
    ("GET", "/api/v1/admin/energy/costs", "/api/v1/admin/energy/costs", None, ADMIN_ONLY),
    ("GET", "/api/v1/admin/energy/payments", "/api/v1/admin/energy/payments", None, ADMIN_ONLY),
    # No TRON network in these settings, so the on-chain check answers 422 (tests/energy cover 201).
    (
        "POST",
        "/api/v1/admin/energy/create-pool",
        "/api/v1/admin/energy/create-pool",
        {"wallet_address": NEW_POOL, "trx_amount": 1},
        {**ADMIN_ONLY, "admin": 422},
    ),
    (
        "POST",
        "/api/v1/admin/energy/pools",
        "/api/v1/admin/energy/pools",
        {"wallet_address": NEW_POOL, "trx_amount": 1},
        {**ADMIN_ONLY, "admin": 422},
    ),
    (
        "PATCH",
        "/api/v1/admin/energy/pools/{id}",
        "/api/v1/admin/energy/pools/{pool_id}",
        {"enabled": False},
        ADMIN_ONLY,
    ),
    (
        "DELETE",
        "/api/v1/admin/energy/pools/{id}",
        "/api/v1/admin/energy/pools/{pool_id}",
        None,
        {**ADMIN_ONLY, "admin": 204},
    ),
    (
        "GET",
        "/api/v1/admin/energy/pools/{id}/history",
        "/api/v1/admin/energy/pools/{pool_id}/history",
        None,
        ADMIN_ONLY,
    ),
    (
        "POST",
        "/api/v1/support/tickets",
        "/api/v1/support/tickets",
        {"title": "t", "description": "d"},
        {**ANY_KEY, "partner": 201, "other_partner": 201, "admin": 403},
    ),
    ("GET", "/api/v1/support/tickets", "/api/v1/support/tickets", None, ANY_KEY),
    ("GET", "/api/v1/support/tickets/{id}", "/api/v1/support/tickets/{ticket_id}", None, OWN),
    (
        "PATCH",
        "/api/v1/support/tickets/{id}",
        "/api/v1/support/tickets/{ticket_id}",
        {"status": "closed"},
        OWN,
    ),
    (
        "GET",
        "/api/v1/support/tickets/{id}/messages",
        "/api/v1/support/tickets/{ticket_id}/messages",
        None,
        OWN,
    ),
    (
        "POST",
        "/api/v1/support/tickets/{id}/messages",
        "/api/v1/support/tickets/{ticket_id}/messages",
        {"message": "hi"},
        {**OWN, "partner": 201, "admin": 201},
    ),
    (
        "GET",
        "/api/v1/support/tickets/{id}/events",
        "/api/v1/support/tickets/{ticket_id}/events",
        None,
        OWN,
    ),
    (
        "POST",
        "/api/v1/energy/queue",
        "/api/v1/energy/queue",
        WITHDRAWAL,
        {**ANY_KEY, "partner": 201, "other_partner": 201, "admin": 403},
    ),
    ("POST", "/api/v1/energy/queue/claim", "/api/v1/energy/queue/claim", {}, {**ANY_KEY, "admin": 403}),
    ("GET", "/api/v1/energy/queue/{id}", "/api/v1/energy/queue/{queue_id}", None, PARTNER_OWN),
    ("DELETE", "/api/v1/energy/queue/{id}", "/api/v1/energy/queue/{queue_id}", None, PARTNER_OWN),
    (
        "POST",
        "/api/v1/energy/queue/{id}/complete",
        "/api/v1/energy/queue/{queue_id}/complete",
        {"tx_hash": "aa" * 32},
        {**PARTNER_OWN, "partner": 409},  # never claimed
    ),
    (
        "POST",
        "/api/v1/energy/emergency-withdrawal",
        "/api/v1/energy/emergency-withdrawal",
        WITHDRAWAL,
        # No TRON network in these settings: no live quote, so 503 (tests/withdrawals cover 201).
        {**ANY_KEY, "partner": 503, "other_partner": 503, "admin": 403},
    ),
    (
        "GET",
        "/api/v1/energy/emergency-withdrawal/{id}",
        "/api/v1/energy/emergency-withdrawal/{emergency_id}",
        None,
        PARTNER_OWN,
    ),
    (
        "POST",
        "/api/v1/energy/emergency-withdrawal/{id}/payment",
        "/api/v1/energy/emergency-withdrawal/{emergency_id}/payment",
        {"tx_hash": "ab" * 32},
        {**PARTNER_OWN, "partner": 202},  # no node: accepted, verified later
    ),
    (
        "POST",
        "/api/v1/energy/emergency-withdrawal/{id}/complete",
        "/api/v1/energy/emergency-withdrawal/{emergency_id}/complete",
        {"tx_hash": "aa" * 32},
        {**PARTNER_OWN, "partner": 409},
    ),
    ("GET", "/api/v1/admin/alerts", "/api/v1/admin/alerts", None, ADMIN_ONLY),
    # A partner's own alerts; admins see every alert at /api/v1/admin/alerts instead.
    ("GET", "/api/v1/alerts", "/api/v1/alerts", None, {**ANY_KEY, "admin": 403}),
    ("GET", "/api/v1/admin/alerts/history", "/api/v1/admin/alerts/history", None, ADMIN_ONLY),
    # The default config's `log` receiver: a test notification is a log line.
    ("POST", "/api/v1/admin/receivers/{name}/test", "/api/v1/admin/receivers/log/test", None, ADMIN_ONLY),
    (
        "POST",
        "/api/v1/admin/alerts/silences",
        "/api/v1/admin/alerts/silences",
        {"matchers": {"alertname": "X"}, "duration_seconds": 60},
        {**ADMIN_ONLY, "admin": 201},
    ),
    ("GET", "/api/v1/admin/alerts/silences", "/api/v1/admin/alerts/silences", None, ADMIN_ONLY),
    (
        "DELETE",
        "/api/v1/admin/alerts/silences/{id}",
        "/api/v1/admin/alerts/silences/{silence_id}",
        None,
        {**ADMIN_ONLY, "admin": 204},
    ),
    ("POST", "/api/v1/admin/rules/reload", "/api/v1/admin/rules/reload", None, ADMIN_ONLY),
    (
        "POST",
        "/api/v1/admin/maintenance",
        "/api/v1/admin/maintenance",
        {"matchers": ['alertname="X"'], "duration_seconds": 60},
        {**ADMIN_ONLY, "admin": 201},
    ),
    ("GET", "/api/v1/admin/maintenance", "/api/v1/admin/maintenance", None, ADMIN_ONLY),
    ("GET", "/api/v1/admin/maintenance/{id}", "/api/v1/admin/maintenance/{window_id}", None, ADMIN_ONLY),
    ("DELETE", "/api/v1/admin/maintenance/{id}", "/api/v1/admin/maintenance/{window_id}", None, ADMIN_ONLY),
    (
        "POST",
        "/api/v1/admin/alerts/{fingerprint}/ack",
        "/api/v1/admin/alerts/{fingerprint}/ack",
        {"comment": "on it"},
        ADMIN_ONLY,
    ),
    (
        "DELETE",
        "/api/v1/admin/alerts/{fingerprint}/ack",
        "/api/v1/admin/alerts/{fingerprint}/ack",
        None,
        {**ADMIN_ONLY, "admin": 204},
    ),
    # The token is the link's credential; links are off without alerts.ack_link_secret (see tests/alerts).
    ("GET", "/alerts/ack/{token}", "/alerts/ack/abc", None, dict.fromkeys(PRINCIPALS, 404)),
    ("POST", "/alerts/ack/{token}", "/alerts/ack/abc", None, dict.fromkeys(PRINCIPALS, 404)),
    ("GET", "/api/v1/admin/monitoring/profiling", "/api/v1/admin/monitoring/profiling", None, ADMIN_ONLY),
    ("GET", "/api/v1/admin/security/events", "/api/v1/admin/security/events", None, ADMIN_ONLY),
    ("GET", "/api/v1/admin/autopilot", "/api/v1/admin/autopilot", None, ADMIN_ONLY),
    ("GET", "/api/v1/admin/autopilot/actions", "/api/v1/admin/autopilot/actions", None, ADMIN_ONLY),
    (
        "POST",
        "/api/v1/admin/autopilot/actions/claim",
        "/api/v1/admin/autopilot/actions/claim",
        {},
        ADMIN_ONLY,
    ),
    *[
        (
            "POST",
            f"/api/v1/admin/autopilot/actions/{{id}}/{verb}",
            f"/api/v1/admin/autopilot/actions/424242/{verb}",
            body,
            {**ADMIN_ONLY, "admin": 404},
        )
        for verb, body in (("approve", None), ("cancel", None), ("complete", {"txid": "ab" * 32}))
    ],
]


async def _principals(
    keys: Keys, client: TestClient[Any, Any]
) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    partner, partner_id = await keys.partner("acme")
    other, _ = await keys.partner("globex")
    admin, _ = await keys.admin()
    revoked, revoked_id = await keys.admin("gone")
    _, spare_id = await keys.admin("spare")
    assert (await client.delete(f"/api/v1/admin/keys/{revoked_id}", headers=bearer(admin))).status == 200
    conn = await asyncpg.connect(keys.url)
    try:
        pool_id = await conn.fetchval(
            "INSERT INTO energy_pools (name, wallet_address) VALUES ('matrix', $1) RETURNING id",
            "TYWxU5pTXmfQNnV795SxTYQnGPQr3nctWe",
        )
        ticket_id = await conn.fetchval(
            "INSERT INTO support_tickets (partner_id, title, description, category, category_source, "
            "priority, priority_source, created_at, updated_at, last_activity_at, first_response_due_at, "
            "resolution_due_at) VALUES ($1, 'matrix', 'd', 'other', 'auto', 'medium', 'auto', now(), now(), "
            "now(), now() + interval '8 hours', now() + interval '72 hours') RETURNING id",
            partner_id,
        )
        queue_id = await conn.fetchval(
            "INSERT INTO energy_withdrawal_queue (partner_id, user_id, withdrawal_id, to_address, amount, "
            "currency, required_energy, created_at) VALUES ($1, 'u', 'mx', $2, 1, 'USDT', 130285, now()) "
            "RETURNING id",
            partner_id,
            TO,
        )
        silence_id = await conn.fetchval(
            "INSERT INTO alert_silences (matchers, starts_at, ends_at, created_by, comment, created_at) "
            "VALUES ('{\"alertname\":\"X\"}', now(), now() + interval '1 hour', 'matrix', '', now()) "
            "RETURNING id"
        )
        window_id = await conn.fetchval(
            "INSERT INTO alert_maintenance (matchers, starts_at, ends_at, created_by) "
            "VALUES ('[\"alertname=\\\"X\\\"\"]', now(), now() + interval '1 hour', 'matrix') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO alert_instances (fingerprint, rule, labels, state, fired_at) "
            "VALUES ('00000000000000aa', 'X', '{\"alertname\":\"X\"}', 'firing', 1000.0);"
            "INSERT INTO alert_acks (fingerprint, alertname, episode, acked_by, acked_at) "
            "VALUES ('00000000000000aa', 'X', 1000000000, 'matrix', now())"
        )
        emergency_id = await conn.fetchval(
            "INSERT INTO emergency_withdrawals (partner_id, user_id, withdrawal_id, to_address, amount, "
            "currency, energy_estimate, energy_fee_sun, bandwidth_bytes, bandwidth_sun, fee_sun, "
            "trx_fee_amount, pay_to, quote_block, quote_expires_at, created_at) VALUES ($1, 'u', 'ex', $2, "
            "1, 'USDT', 130285, 100, 345, 345000, 13373500, 13.3735, $2, 1, now() + interval '1 day', now()) "
            "RETURNING id",
            partner_id,
            TO,
        )
    finally:
        await conn.close()
    headers = {
        "none": {},
        "bad": bearer("tw_deadbeef_not-a-real-key"),
        "revoked": bearer(revoked),
        "partner": bearer(partner),
        "other_partner": bearer(other),
        "admin": bearer(admin),
    }
    return headers, {
        "partner_id": partner_id,
        "spare_key_id": spare_id,
        "pool_id": pool_id,
        "ticket_id": ticket_id,
        "queue_id": queue_id,
        "emergency_id": emergency_id,
        "silence_id": silence_id,
        "window_id": window_id,
        "fingerprint": "00000000000000aa",
    }


@pytest.mark.parametrize(
    ("method", "template", "path", "body", "expected"), MATRIX, ids=[f"{m} {t}" for m, t, *_ in MATRIX]
)
async def test_route_authorization(
    client: TestClient[Any, Any],
    keys: Keys,
    method: str,
    template: str,
    path: str,
    body: Any,
    expected: dict[str, int],
) -> None:
    headers, ids = await _principals(keys, client)
    got = {}
    for who in PRINCIPALS:  # admin last: its success may change state
        resp = await client.request(method, path.format(**ids), json=body, headers=headers[who])
        got[who] = resp.status
        if resp.status in (401, 403, 404):
            assert resp.content_type == "application/problem+json"
        if resp.status == 401:
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert got == expected


def test_matrix_covers_every_route(settings: Any) -> None:
    from daemon.app import create_app

    app = create_app(settings, database_url="postgresql://unused/")
    served = {
        (r.method, r.resource.canonical) for r in app.router.routes() if r.resource and r.method != "HEAD"
    }
    assert served == {(m, t) for m, t, *_ in MATRIX}
