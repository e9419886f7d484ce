"""Authorization matrix over every route: who gets 401, 403, 404 or success, exactly.

Every later issue adds its routes here; test_matrix_covers_every_route fails until it does.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import Keys, bearer

PRINCIPALS = ("none", "bad", "revoked", "partner", "other_partner", "admin")
ANYONE = dict.fromkeys(PRINCIPALS, 200)
ADMIN_ONLY = {"none": 401, "bad": 401, "revoked": 401, "partner": 403, "other_partner": 403, "admin": 200}
ANY_KEY = {"none": 401, "bad": 401, "revoked": 401, "partner": 200, "other_partner": 200, "admin": 200}

# (method, route template, concrete path, body, expected status per principal)
MATRIX: list[tuple[str, str, str, Any, dict[str, int]]] = [
    ("GET", "/healthz", "/healthz", None, ANYONE),
    ("GET", "/readyz", "/readyz", None, ANYONE),
    ("GET", "/metrics", "/metrics", None, ANYONE),
    ("GET", "/openapi.json", "/openapi.json", None, ANYONE),
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
    ("DELETE", "/api/v1/admin/keys/{id}", "/api/v1/admin/keys/{spare_key_id}", None, ADMIN_ONLY),
]


async def _principals(
    keys: Keys, client: TestClient[Any, Any]
) -> tuple[dict[str, dict[str, str]], dict[str, int]]:
    partner, partner_id = await keys.partner("acme")
    other, _ = await keys.partner("globex")
    admin, _ = await keys.admin()
    revoked, revoked_id = await keys.admin("gone")
    _, spare_id = await keys.admin("spare")
    assert (await client.delete(f"/api/v1/admin/keys/{revoked_id}", headers=bearer(admin))).status == 200
    headers = {
        "none": {},
        "bad": bearer("tw_deadbeef_not-a-real-key"),
        "revoked": bearer(revoked),
        "partner": bearer(partner),
        "other_partner": bearer(other),
        "admin": bearer(admin),
    }
    return headers, {"partner_id": partner_id, "spare_key_id": spare_id}


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
