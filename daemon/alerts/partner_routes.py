"""Partner API: a partner's own alerts (rules with `for_each: partner`), no one else's."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from pydantic import BaseModel

from daemon import keys
from daemon.alerts import repo
from daemon.http.endpoints import Endpoint, json_response


class PartnerAlert(BaseModel):
    """One of the partner's alerts."""

    alertname: str
    state: str
    labels: dict[str, str]
    annotations: dict[str, str]
    value: float | None
    active_at: datetime | None
    fired_at: datetime | None


class PartnerAlertList(BaseModel):
    """The partner's pending and firing alerts."""

    alerts: list[PartnerAlert]


def _ts(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


async def partner_alerts(request: web.Request) -> web.Response:
    """Pending and firing instances whose `partner_id` label is the caller's partner."""
    partner_id = str(request[keys.principal].partner_id)
    async with request.app[keys.runtime].pool.acquire() as conn:
        rows = await repo.load_instances(conn)
    mine = [
        r for r in rows if r["labels"].get("partner_id") == partner_id and r["state"] in ("pending", "firing")
    ]
    mine.sort(key=lambda r: (r["state"] != "firing", r["rule"], r["fingerprint"]))
    return json_response(
        PartnerAlertList(
            alerts=[
                PartnerAlert(
                    alertname=r["rule"],
                    state=r["state"],
                    labels=r["labels"],
                    annotations=r["annotations"],
                    value=r["value"],
                    active_at=_ts(r["active_at"]),
                    fired_at=_ts(r["fired_at"]),
                )
                for r in mine
            ]
        )
    )


def partner_alert_endpoints() -> list[Endpoint]:
    """GET /api/v1/alerts (partner keys; admins use /api/v1/admin/alerts)."""
    return [
        Endpoint(
            "GET",
            "/api/v1/alerts",
            partner_alerts,
            "partner",
            "This partner's own pending and firing alerts",
            "alerts",
            response=PartnerAlertList,
        )
    ]
