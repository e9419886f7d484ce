"""SQL for energy_pool_delegations: the leader writes what changed, followers read it all."""

from __future__ import annotations

import json
from dataclasses import replace

from daemon.db.types import Connection
from daemon.energy.delegations import Delegation
from daemon.energy.snapshot import PoolView

Row = tuple[int, int, int, int, str]


def delegation_row(p: PoolView) -> Row:
    """A pool view's delegation figures as a row (records as JSON text)."""
    records = json.dumps([d.as_dict() for d in p.delegations])
    return (p.id, p.acquired_energy, p.delegated_out_energy, p.reclaimed_energy_1h, records)


class DelegationSaver:
    """Upserts only rows that changed since this leader last wrote them (most pools never delegate)."""

    def __init__(self) -> None:
        self._saved: dict[int, Row] = {}

    async def save(self, conn: Connection, views: tuple[PoolView, ...]) -> None:
        """Write the changed rows of pools that were read."""
        rows = [delegation_row(p) for p in views if p.up and p.has_data]
        changed = [r for r in rows if self._saved.get(r[0]) != r]
        if changed:
            await conn.executemany(
                "INSERT INTO energy_pool_delegations (pool_id, acquired_energy, delegated_out_energy, "
                "reclaimed_energy_1h, records) VALUES ($1, $2, $3, $4, $5::jsonb) "
                "ON CONFLICT (pool_id) DO UPDATE SET acquired_energy = $2, delegated_out_energy = $3, "
                "reclaimed_energy_1h = $4, records = $5::jsonb, updated_at = now()",
                changed,
            )
        self._saved.update((r[0], r) for r in changed)


async def attach(conn: Connection, views: list[PoolView]) -> list[PoolView]:
    """Views with the delegation figures the leader stored."""
    rows = await conn.fetch(
        "SELECT pool_id, acquired_energy, delegated_out_energy, reclaimed_energy_1h, "
        "records::text AS records FROM energy_pool_delegations"
    )
    by_id = {r["pool_id"]: r for r in rows}
    out = []
    for v in views:
        r = by_id.get(v.id)
        if r is not None and v.has_data:
            v = replace(
                v,
                acquired_energy=r["acquired_energy"],
                delegated_out_energy=r["delegated_out_energy"],
                reclaimed_energy_1h=r["reclaimed_energy_1h"],
                delegations=tuple(Delegation.from_dict(d) for d in json.loads(r["records"])),
            )
        out.append(v)
    return out
