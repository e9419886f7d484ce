"""Bodies a parser could read two ways, or that make Python leak its internals, are clean 400s."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import Keys, bearer

PARTNERS = "/api/v1/admin/partners"


async def _post(client: TestClient[Any, Any], h: dict[str, str], raw: str) -> tuple[int, dict[str, Any]]:
    resp = await client.post(PARTNERS, data=raw, headers={**h, "Content-Type": "application/json"})
    return resp.status, await resp.json()


async def test_a_key_given_twice_is_refused_naming_it(client: TestClient[Any, Any], keys: Keys) -> None:
    admin, _ = await keys.admin()
    h = bearer(admin)
    status, body = await _post(client, h, '{"name": "acme", "name": "evil-twin"}')
    assert status == 400, body  # before: 201 and a partner called "evil-twin" (last key won)
    assert body["errors"] == [{"field": "name", "message": "key 'name' appears more than once in one object"}]
    listed = await (await client.get(PARTNERS, headers=h)).json()
    assert all(p["name"] != "evil-twin" for p in listed["items"])


async def test_a_huge_integer_is_a_clean_400_naming_the_field(
    client: TestClient[Any, Any], keys: Keys
) -> None:
    admin, _ = await keys.admin()
    status, body = await _post(client, bearer(admin), '{"name": ' + "7" * 5000 + "}")
    assert status == 400 and body["errors"][0]["field"] == "name", body
    assert "set_int_max_str_digits" not in str(body) and "Exceeds the limit" not in str(body)
    assert body["errors"][0]["message"] == "integer has 5000 digits; at most 640 are accepted"


async def test_nan_is_not_json(client: TestClient[Any, Any], keys: Keys) -> None:
    admin, _ = await keys.admin()
    status, body = await _post(client, bearer(admin), '{"name": NaN}')
    assert status == 400 and "NaN is not a JSON value" in body["detail"]
