"""Replicas that do not lead the scraper serve the leader's last figures from the database."""

from __future__ import annotations

import json
from dataclasses import replace

from daemon.db.types import Connection, Record
from daemon.energy import pools_repo as repo
from daemon.energy.delegations_repo import attach
from daemon.energy.quote import FeeQuote
from daemon.energy.settings import EnergySettings
from daemon.energy.snapshot import EnergySnapshot, PoolView, assemble
from daemon.energy.status import pool_status


def _view(row: Record, settings: EnergySettings) -> PoolView:
    view = PoolView(
        id=row["id"],
        name=row["name"],
        wallet_address=row["wallet_address"],
        enabled=row["enabled"],
        target_trx=row["target_trx"],
        up=bool(row["up"]),
        status="unreachable",
    )
    if row["up"] is not None:  # the leader stored a state row (float8 keeps +Infinity runways)
        view = replace(
            view,
            energy_limit=row["energy_limit"],
            energy_used=row["energy_used"],
            window_slots=row["window_slots"],
            frozen_sun=row["frozen_sun"],
            balance_sun=row["balance_sun"],
            net_available=row["net_available"],
            daily_consumption=row["daily_consumption"],
            runway_seconds=row["runway_seconds"],
            last_scraped_at=row["last_scraped_at"],
            chain_time=row["chain_time"],
            last_error=row["last_error"],
        )
    status = pool_status(view, transfer_energy=settings.transfer_energy, warning=settings.warning)
    return replace(view, status=status)


async def load_snapshot(conn: Connection, settings: EnergySettings, serial: int) -> EnergySnapshot:
    """The snapshot the leader last stored."""
    views = await attach(conn, [_view(r, settings) for r in await repo.load_states(conn)])
    chain = await repo.load_chain_state(conn)
    quote = FeeQuote.from_dict(json.loads(chain["quote"])) if chain and chain["quote"] else None
    return assemble(
        views,
        thresholds=(settings.warning, settings.critical, settings.emergency),
        stale_after=3 * settings.scrape_interval,
        transfer_energy=settings.transfer_energy,
        reserve_energy=settings.reserve_energy,
        energy_fee_sun=chain["energy_fee_sun"] if chain else None,
        transaction_fee_sun=chain["transaction_fee_sun"] if chain else None,
        quote=quote,
        serial=serial,
    )
