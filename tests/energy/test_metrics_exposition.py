"""/metrics renders the energy snapshot's text once per snapshot: byte for byte prometheus_client's."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter, Enum, Gauge, Histogram, Info, Summary
from prometheus_client.exposition import choose_encoder
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from daemon import exposition
from daemon import keys as app_keys
from daemon.app import create_app
from daemon.energy import metrics as energy_metrics
from daemon.energy.delegations import Delegation
from daemon.energy.quote import price
from daemon.energy.snapshot import PoolView, SnapshotHolder, assemble
from tests.conftest import Keys, bearer, make_settings
from tests.energy.conftest import AppFactory, node_of, scraper_of

OPENMETRICS = (
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,text/plain;version=0.0.4;q=0.4"
)
ACCEPTS = [
    "",  # curl, a browser: text 0.0.4
    "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    OPENMETRICS,
    "application/openmetrics-text",
    "text/plain;version=1.0.0;escaping=allow-utf-8",
    "text/plain;version=1.0.0;escaping=underscores",
    "application/openmetrics-text;version=1.0.0;escaping=dots",
    "application/openmetrics-text;version=1.0.0;escaping=values",
    "text/plain;version=1.0.0;escaping=values",
]
NAMES = ['pool "quoted"', "back\\slash", "new\nline", "ünïcode-池", "plain-01"]
NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def _holder(serial: int, fee: int = 100) -> SnapshotHolder:
    base = PoolView(0, "", "", True, Decimal(0), True, "active")
    expiring = Delegation("in", 'T"lender\\', 10**9, 50_000, NOW + timedelta(days=3))
    views = [
        replace(
            base,
            id=i,
            name=name,
            energy_limit=10_000_000 + i,
            energy_used=5_000_000 * i,
            frozen_sun=10**12 + i,
            balance_sun=123_456_789,
            daily_consumption=3_000_000 + i if i else None,
            runway_seconds=float("inf") if i % 2 else -0.0 if i == 4 else 86_400.5,
            last_scraped_at=NOW,
            chain_time=NOW,
            acquired_energy=50_000,
            delegations=(expiring,),
        )
        for i, name in enumerate(NAMES)
    ]
    views += [replace(base, id=98, name="never-read"), replace(base, id=99, name="off", enabled=False)]
    holder = SnapshotHolder(45, 130_285, 0)
    quote = price(130_285, "estimate", energy_fee_sun=fee, transaction_fee_sun=1000)
    snap = assemble(
        views,
        thresholds=(0.9, 0.95, 0.98),
        stale_after=45,
        transfer_energy=130_285,
        reserve_energy=0,
        energy_fee_sun=fee,
        transaction_fee_sun=1000,
        quote=quote,
        serial=serial,
    )
    holder.publish(snap, local=True)
    return holder


def _registry(holder: SnapshotHolder) -> tuple[CollectorRegistry, energy_metrics.EnergyCollector]:
    """Every kind of family around the energy collector, so the splice's neighbours and order show."""
    registry = CollectorRegistry(target_info={"service": "tronwatch"})
    Counter("t_requests", "Requests", ["route"], registry=registry).labels("/a").inc(3)
    Info("t_build", "Build", registry=registry).info({"version": "1.2"})
    collector = energy_metrics.register(registry, holder, clock=lambda: NOW.timestamp() + 7.25)
    Histogram("t_seconds", 'Latency "quoted" \\ help', buckets=(0.1, 1.0), registry=registry).observe(0.3)
    Summary("t_bytes", "Sizes", registry=registry).observe(5)
    Enum("t_mode", "Mode", states=["a", "b"], registry=registry).state("b")
    Gauge("t_up", "Up", registry=registry).set(1)
    return registry, collector


@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_text_is_byte_for_byte_what_prometheus_client_writes(accept: str) -> None:
    holder = _holder(1)
    registry, _ = _registry(holder)
    encoder, content_type = choose_encoder(accept)
    fmt = exposition.negotiate(accept)
    assert fmt.content_type == content_type
    first = exposition.generate(registry, fmt)
    assert first == encoder(registry)
    assert exposition.generate(registry, fmt) == first  # the cached text, served again
    holder.current = _holder(2, fee=210).current  # the next scrape cycle's snapshot
    second = exposition.generate(registry, fmt)
    assert second != first and second == encoder(registry)


def test_clients_choosing_versions_do_not_multiply_the_cached_text() -> None:
    """/metrics is public by default: a client must not make it keep a megabyte per Accept header."""
    holder = _holder(1)
    registry, collector = _registry(holder)
    for minor in range(50):
        for kind in ("application/openmetrics-text", "text/plain"):
            accept = f"{kind};version=1.{minor}.0"
            fmt = exposition.negotiate(accept)
            assert exposition.generate(registry, fmt) == choose_encoder(accept)[0](registry)
    assert collector._text is not None and len(collector._text[1]) == 2


def test_both_formats_parse_with_every_pool_name_and_pass_promtool() -> None:
    registry, _ = _registry(_holder(1))
    text = exposition.generate(registry, exposition.negotiate("")).decode()
    om = exposition.generate(registry, exposition.negotiate(OPENMETRICS)).decode()
    assert om.endswith("\n# EOF\n") and om.count("# EOF") == 1 and "# EOF" not in text
    pools = {
        s.labels["pool"]
        for f in parse_text(text)
        if f.name == "tronwatch_pool_energy_limit"
        for s in f.samples
    }
    assert pools == set(NAMES)
    families = {f.name: f for f in parse_openmetrics(om)}
    assert {s.labels["pool"] for s in families["tronwatch_pool_up"].samples} == {*NAMES, "never-read"}
    (expiry,) = {
        s.labels["from"] for s in families["tronwatch_pool_delegation_expiry_timestamp_seconds"].samples
    }
    assert expiry == 'T"lender\\'
    assert families["tronwatch_energy_state"].type == "stateset"
    assert {s.name for s in families["t_requests"].samples} == {"t_requests_total", "t_requests_created"}
    runway = {s.labels["pool"]: s.value for s in families["tronwatch_pool_runway_seconds"].samples}
    assert runway["back\\slash"] == float("inf") and runway['pool "quoted"'] == 86_400.5
    check = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True)
    assert check.returncode == 0 and not check.stderr.strip(), check


async def test_metrics_serves_both_formats_and_the_next_snapshot(energy_app: AppFactory) -> None:
    client = await energy_app()
    scraper = scraper_of(client)
    assert scraper is not None
    await scraper.cycle()
    registry: CollectorRegistry = client.app[app_keys.metrics].registry

    async def scrape(accept: str) -> tuple[str, str]:
        resp = await client.get("/metrics", headers={"Accept": accept})
        assert resp.status == 200
        return resp.headers["Content-Type"], await resp.text()

    kind, text = await scrape("text/plain")
    assert kind == "text/plain; version=0.0.4; charset=utf-8"
    check = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True)
    assert check.returncode == 0 and not check.stdout.strip() and not check.stderr.strip(), check
    served = [f.name for f in parse_text(text)]
    reference = [f.name for f in parse_text(choose_encoder("")[0](registry).decode())]
    # the energy families where the registry has them (this scrape's own request adds series after it)
    assert [n for n in served if n in reference] == [n for n in reference if n in served]
    assert len(set(reference) - set(served)) <= 2
    kind, om = await scrape(OPENMETRICS)
    assert kind.startswith("application/openmetrics-text; version=1.0.0") and om.count("# EOF") == 1
    families = {f.name: f for f in parse_openmetrics(om)}
    assert families["tronwatch_http_requests"].type == "counter"
    assert _value(families, "tronwatch_chain_energy_fee_sun") == 100

    node_of(client).set_energy_fee(210)
    scraper.params_due = 0  # the next cycle re-reads chain parameters
    await scraper.cycle()
    families = {f.name: f for f in parse_openmetrics((await scrape(OPENMETRICS))[1])}
    assert _value(families, "tronwatch_chain_energy_fee_sun") == 210
    text = (await scrape(""))[1]
    assert _value({f.name: f for f in parse_text(text)}, "tronwatch_chain_energy_fee_sun") == 210
    # the text format's counter rules: `_total` in the family name, `_created` a gauge of its own
    assert "# TYPE tronwatch_http_requests_total counter" in text
    assert "# TYPE tronwatch_http_requests_created gauge" in text
    picked = await client.get("/metrics", params={"name[]": "tronwatch_chain_energy_fee_sun"})
    assert [f.name for f in parse_text(await picked.text())] == ["tronwatch_chain_energy_fee_sun"]


async def test_admin_only_metrics_negotiate_the_same_formats(
    aiohttp_client: Any, database_url: str, tmp_path: Path, keys: Keys
) -> None:
    settings = make_settings(database_url, tmp_path, server={"metrics_public": False})
    client = await aiohttp_client(
        create_app(settings, database_url=database_url, registry=CollectorRegistry())
    )
    admin, _ = await keys.admin()
    partner, _ = await keys.partner()
    assert (await client.get("/metrics", headers={"Accept": OPENMETRICS})).status == 401
    assert (await client.get("/metrics", headers=bearer(partner))).status == 403
    resp = await client.get("/metrics", headers={"Accept": OPENMETRICS, **bearer(admin)})
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("application/openmetrics-text")
    assert (await resp.text()).endswith("# EOF\n")
    resp = await client.get("/metrics", headers=bearer(admin))
    assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "tronwatch_build_info" in await resp.text()


def _value(families: dict[str, Any], name: str) -> float:
    (sample,) = families[name].samples
    return float(sample.value)
