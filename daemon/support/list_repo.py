"""Ticket list pages, rendered by PostgreSQL from each ticket's stored API JSON."""

from __future__ import annotations

from typing import Any

from daemon.db.types import Connection
from daemon.observability.profiler import profiled

# Filters are optional ($n IS NULL); the keyset (last_activity_at, id) < ($7, $8) is always bound (the
# first page passes a far-future key) so that even a generic plan walks the index in order and stops at
# the LIMIT. Two statements rather than one with an optional partner: a generic plan of "$1 IS NULL OR
# partner_id = $1" could not use the per-partner index, and a partner's list is the hot path. Both bind
# the same $1..$9.
LIST_FOR_PARTNER = (
    "SELECT * FROM support_tickets WHERE partner_id = $1 "
    "AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR priority = $3) "
    "AND ($4::text IS NULL OR category = $4) AND ($5::bigint IS NULL OR assigned_to = $5) "
    "AND ($6::timestamptz IS NULL OR updated_at >= $6) "
    "AND (last_activity_at, id) < ($7::timestamptz, $8::bigint) "
    "ORDER BY last_activity_at DESC, id DESC LIMIT $9"
)
LIST_ALL = (
    "SELECT * FROM support_tickets WHERE $1::bigint IS NULL "
    "AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR priority = $3) "
    "AND ($4::text IS NULL OR category = $4) AND ($5::bigint IS NULL OR assigned_to = $5) "
    "AND ($6::timestamptz IS NULL OR updated_at >= $6) "
    "AND (last_activity_at, id) < ($7::timestamptz, $8::bigint) "
    "ORDER BY last_activity_at DESC, id DESC LIMIT $9"
)


# A partner's unfiltered list (the hot path) on its own: with the optional filters in the statement, a
# generic plan underestimates the rows and sorts all of the partner's tickets instead of reading 51.
# `(SELECT $n)` hides the values from the planner: a custom plan then costs what the generic one does, so
# the prepared statement keeps its generic plan (the same index scan) instead of being planned again on
# every request, which cost PostgreSQL more CPU than running it.
LIST_PARTNER_PAGE = (
    "SELECT * FROM support_tickets WHERE partner_id = (SELECT $1::bigint) "
    "AND (last_activity_at, id) < ((SELECT $2::timestamptz), (SELECT $3::bigint)) "
    "ORDER BY last_activity_at DESC, id DESC LIMIT (SELECT $4::bigint)"
)


def _as_json_page(statement: str, limit_arg: str) -> str:
    """Wrap a list statement (LIMIT n+1): the first n rows' stored API JSON as one array, and the n-th
    row's key. Each ticket's JSON is rendered by a trigger when it is written (migration 0008)."""
    # Our own constant statements only; values stay bound parameters.
    return (
        f"WITH page AS ({statement}), r AS (SELECT api_json, last_activity_at, id, row_number() OVER "  # noqa: S608
        "(ORDER BY last_activity_at DESC, id DESC) AS rn FROM page) "
        f"SELECT '[' || coalesce(string_agg(api_json, ',' ORDER BY rn) FILTER (WHERE rn < {limit_arg}), '') "
        f"|| ']' AS items, count(*) AS n, max(last_activity_at) FILTER (WHERE rn = {limit_arg} - 1) "
        f"AS cursor_at, max(id) FILTER (WHERE rn = {limit_arg} - 1) AS cursor_id FROM r"
    )


_PAGE_FOR_PARTNER = _as_json_page(LIST_PARTNER_PAGE, "$4")
_PAGE_FILTERED = _as_json_page(LIST_FOR_PARTNER, "$9")
_PAGE_ALL = _as_json_page(LIST_ALL, "$9")


@profiled("db.ticket_list")
async def list_tickets_json(conn: Connection, partner_id: int | None, args: tuple[Any, ...]) -> Any:
    """A page, newest activity first, rendered by PostgreSQL: (items JSON, n, cursor_at, cursor_id)."""
    if partner_id is not None and all(a is None for a in args[:5]):
        return await conn.fetchrow(_PAGE_FOR_PARTNER, partner_id, *args[5:])
    return await conn.fetchrow(_PAGE_ALL if partner_id is None else _PAGE_FILTERED, partner_id, *args)
