"""The energy feature's run-time object and its app key (the snapshot other features read)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from daemon.config import EnergySettings
from daemon.energy.scraper import Scraper
from daemon.energy.snapshot import SnapshotHolder


@dataclass
class EnergyRuntime:
    """The snapshot holder (made at setup) and, while this replica leads, its scraper."""

    holder: SnapshotHolder
    scraper: Scraper | None = None

    def wake(self) -> None:
        """Ask the local scraper (if leading) for a cycle now, e.g. after a pool changed."""
        if self.scraper is not None:
            self.scraper.wake.set()


def new_runtime(settings: EnergySettings) -> EnergyRuntime:
    """The energy runtime for create_app (no I/O)."""
    return EnergyRuntime(
        SnapshotHolder(3 * settings.scrape_interval, settings.transfer_energy, settings.reserve_energy)
    )


energy_runtime = web.AppKey("energy_runtime", EnergyRuntime)
