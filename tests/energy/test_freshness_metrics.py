"""The `energy.*` values rules read are metrics too, so exported Prometheus rules can use them."""

from __future__ import annotations

from tests.conftest import Keys, bearer
from tests.energy.conftest import AppFactory, metric, scraper_of


async def test_data_age_staleness_and_available_percentage_are_exported(
    energy_app: AppFactory, keys: Keys
) -> None:
    client = await energy_app()
    scraper = scraper_of(client)
    assert scraper is not None
    await scraper.cycle()
    partner, _ = await keys.partner()
    status = await (await client.get("/api/v1/energy/status", headers=bearer(partner))).json()
    assert await metric(client, "tronwatch_energy_stale") == 0
    pools = await metric(client, "tronwatch_energy_pools")
    assert pools is not None and pools >= 2 and await metric(client, "tronwatch_energy_pools_up") == pools
    age = await metric(client, "tronwatch_energy_data_age_seconds")
    assert age is not None and 0 <= age < 60
    ratio = await metric(client, "tronwatch_energy_usage_ratio")
    percentage = await metric(client, "tronwatch_energy_available_percentage")
    assert ratio is not None and percentage is not None and 0 < percentage < 100
    assert abs(percentage - 100 * (1 - ratio)) < 0.01  # the seed rounds it to 4 places
    assert status["stale"] is False
