"""GET /api/v1/admin/energy/payments: every TRX payment to pay_to on record, newest first, cursor-paged."""

from __future__ import annotations

from typing import Literal, get_args

from aiohttp import web
from pydantic import BaseModel, Field

from daemon.http.body import IdCursor, RequestModel, read_query
from daemon.http.endpoints import Endpoint, json_response
from daemon.withdrawals import payments_repo
from daemon.withdrawals.deps import withdrawal_deps
from daemon.withdrawals.emergency_service import payment_view
from daemon.withdrawals.models import PaymentStatus, RecordedPayment

PAYMENTS = "/api/v1/admin/energy/payments"
_UNSETTLED = [s for s in get_args(PaymentStatus) if s != "settled"]


class PaymentQuery(RequestModel):
    """Filters and paging."""

    status: Literal[PaymentStatus, "unsettled"] | None = Field(
        None, description="one status, or `unsettled` for every payment that did not settle a quote"
    )
    cursor: IdCursor = None
    limit: int = Field(50, ge=1, le=200)


class AdminPayment(RecordedPayment):
    """A recorded payment with its pay_to and, when attributed, the partner's withdrawal."""

    pay_to: str
    partner_id: int | None
    withdrawal_id: str | None


class PaymentPage(BaseModel):
    """One page; pass next_cursor as `cursor` for the next (older) page."""

    items: list[AdminPayment]
    next_cursor: str | None


async def list_payments(request: web.Request) -> web.Response:
    """Recorded payments, newest first."""
    q = read_query(request, PaymentQuery)
    statuses = _UNSETTLED if q.status == "unsettled" else None if q.status is None else [q.status]
    before = int(q.cursor) if q.cursor is not None else None
    async with request.app[withdrawal_deps].pool.acquire() as conn:
        rows = await payments_repo.page(conn, statuses, before, q.limit + 1)
    items = [
        AdminPayment(
            **payment_view(r).model_dump(),
            pay_to=r["pay_to"],
            partner_id=r["partner_id"],
            withdrawal_id=r["withdrawal_id"],
        )
        for r in rows[: q.limit]
    ]
    cursor = str(items[-1].id) if len(rows) > q.limit else None
    return json_response(PaymentPage(items=items, next_cursor=cursor))


def payments_endpoints() -> list[Endpoint]:
    """The admin's view of payments."""
    return [
        Endpoint(
            "GET",
            PAYMENTS,
            list_payments,
            "admin",
            "TRX payments to pay_to on record (settled or not: underpaid, late, unmatched, …), newest first",
            "withdrawals",
            query=PaymentQuery,
            response=PaymentPage,
        )
    ]
