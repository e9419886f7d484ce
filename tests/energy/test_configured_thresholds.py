"""The default energy rules page at the configured thresholds, the same ones the level and banner use."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from daemon.alerts.context import alerts_state, evaluate_once
from tests.alerts.conftest import FakeClock
from tests.conftest import Keys, bearer
from tests.energy.conftest import AppFactory


async def _firing(client: Any) -> set[tuple[str, str]]:
    """(alertname, pool) of every firing instance after three evaluations a minute apart."""
    state = client.app[alerts_state]
    # From now: the app's own evaluation loop may already have run once on the wall clock.
    state.clock = clock = FakeClock(datetime.now(UTC))
    for _ in range(3):  # past every energy rule's `for`
        clock.advance(60)
        await evaluate_once(client.app)
    return {
        (i.rule, i.labels.get("pool", "")) for i in state.evaluator.instances.values() if i.state == "firing"
    }


async def test_a_lower_configured_warning_pages_where_the_banner_says_warning(
    energy_app: AppFactory, keys: Keys
) -> None:
    # The demo pools: 36 % used in all, beta 80 %, gamma 93 %. The rules used to say 0.90 themselves.
    client = await energy_app(warning=0.30, critical=0.85, emergency=0.99)
    partner, _ = await keys.partner()
    status = await (await client.get("/api/v1/energy/status", headers=bearer(partner))).json()
    assert status["level"] == "warning"
    firing = await _firing(client)
    assert ("EnergyUsageWarning", "") in firing
    assert {p for name, p in firing if name == "PoolEnergyUsageWarning"} == {"pool-beta", "pool-gamma"}
    assert {p for name, p in firing if name == "PoolEnergyUsageCritical"} == {"pool-gamma"}
    assert not {name for name, _ in firing} & {"EnergyUsageCritical", "PoolEnergyUsageEmergency"}
    text = await (await client.get("/metrics")).text()
    family = next(
        f for f in text_string_to_metric_families(text) if f.name == "tronwatch_energy_threshold_ratio"
    )
    assert {s.labels["level"]: s.value for s in family.samples} == {
        "warning": 0.30,
        "critical": 0.85,
        "emergency": 0.99,
    }


async def test_a_higher_configured_warning_keeps_a_93_percent_pool_quiet(energy_app: AppFactory) -> None:
    client = await energy_app(warning=0.95, critical=0.97, emergency=0.99)
    firing = await _firing(client)
    assert not [f for f in firing if f[0].startswith(("PoolEnergyUsage", "EnergyUsage"))]
