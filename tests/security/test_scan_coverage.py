"""The security scan sees what a request stores: no padding, long text or chunked upload hides an attack."""

from __future__ import annotations

from collections.abc import AsyncIterator

from tests.conftest import Keys, bearer
from tests.security.conftest import AppFactory, events

TICKETS = "/api/v1/support/tickets"
XSS = "<script>alert(document.cookie)</script>"


async def test_whitespace_padding_before_the_payload_does_not_hide_it(
    sec_app: AppFactory, keys: Keys
) -> None:
    client = await sec_app()
    partner, _ = await keys.partner()
    admin, _ = await keys.admin()
    raw = "{" + " " * 300_000 + f'"title": "Payout question", "description": "see {XSS}"}}'
    resp = await client.post(
        TICKETS, data=raw, headers={**bearer(partner), "Content-Type": "application/json"}
    )
    assert resp.status == 201  # stored as written ...
    [event] = await events(client, admin)
    assert event["type"] == "XSS" and event["details"]["location"] == "body.description"  # ... and seen


async def test_a_payload_deep_inside_a_long_ticket_text_is_found(sec_app: AppFactory, keys: Keys) -> None:
    client = await sec_app()
    partner, _ = await keys.partner()
    admin, _ = await keys.admin()
    text = "Our payout to the exchange stopped after the energy alert. " * 150 + XSS  # ~9,000 chars
    resp = await client.post(
        TICKETS, json={"title": "Long report", "description": text}, headers=bearer(partner)
    )
    assert resp.status == 201
    assert [e["type"] for e in await events(client, admin)] == ["XSS"]


async def test_a_chunked_body_is_scanned_too(sec_app: AppFactory, keys: Keys) -> None:
    client = await sec_app()
    partner, _ = await keys.partner()
    admin, _ = await keys.admin()

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "Chunked", '
        yield f'"description": "{XSS}"}}'.encode()

    resp = await client.post(
        TICKETS, data=chunks(), headers={**bearer(partner), "Content-Type": "application/json"}
    )
    assert resp.status == 201 and "Content-Length" not in resp.request_info.headers
    assert [e["type"] for e in await events(client, admin)] == ["XSS"]
