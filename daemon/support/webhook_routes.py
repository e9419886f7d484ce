"""Admin: set (or clear) a partner's webhook, where replies to the partner's tickets are announced."""

from __future__ import annotations

import binascii

from aiohttp import web
from pydantic import BaseModel, Field

from daemon.alerts.channels.webhook import secret_bytes
from daemon.alerts.ssrf import BlockedURL, check_url
from daemon.errors import NotFound, ValidationFailed
from daemon.http.body import RequestModel, read_json
from daemon.http.endpoints import Endpoint, json_response, path_id
from daemon.support.state import support_state


class PartnerWebhookSet(RequestModel):
    """The URL (null clears it) and the signing secret (`whsec_<base64>`, Standard Webhooks)."""

    url: str | None = Field(max_length=2000)
    secret: str | None = Field(None, min_length=16, max_length=200)


class PartnerWebhook(BaseModel):
    """A partner's webhook (the secret is never shown)."""

    partner_id: int
    url: str | None
    signed: bool


async def set_partner_webhook(request: web.Request) -> web.Response:
    """Store the webhook; the URL passes the alerts SSRF check (https, public host) unless allowed."""
    partner_id = path_id(request)
    body = await read_json(request, PartnerWebhookSet)
    state = request.app[support_state]
    if body.url is not None:
        allow = state.settings.partner_webhook_allow_private
        try:
            check_url(body.url, allow_private=allow)
        except BlockedURL as exc:
            raise ValidationFailed(str(exc), field="url") from exc
        if body.secret is None:
            raise ValidationFailed("a webhook needs a signing secret (whsec_<base64>)", field="secret")
        try:
            secret_bytes(body.secret)
        except (binascii.Error, ValueError) as exc:
            raise ValidationFailed("a whsec_ secret must be base64 after the prefix", field="secret") from exc
    secret = body.secret if body.url is not None else None
    async with state.runtime.pool.acquire() as conn:
        row = await conn.fetchrow(
            "UPDATE partners SET webhook_url = $2, webhook_secret = $3 WHERE id = $1 "
            "RETURNING id, webhook_url, webhook_secret IS NOT NULL AS signed",
            partner_id,
            body.url,
            secret,
        )
    if row is None:
        raise NotFound(f"partner {partner_id} does not exist")
    return json_response(PartnerWebhook(partner_id=row["id"], url=row["webhook_url"], signed=row["signed"]))


def webhook_endpoints() -> list[Endpoint]:
    """The admin route for partner webhooks."""
    return [
        Endpoint(
            "PUT",
            "/api/v1/admin/partners/{id}/webhook",
            set_partner_webhook,
            "admin",
            "Set a partner's webhook for ticket replies (signed per Standard Webhooks)",
            "support",
            body=PartnerWebhookSet,
            response=PartnerWebhook,
        ),
    ]
