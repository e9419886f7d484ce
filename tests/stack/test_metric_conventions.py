"""/metrics follows Prometheus' naming conventions; renamed families stay one release, marked deprecated."""

from __future__ import annotations

import re
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.stack.conftest import ROOT, Demo, http_get

DEPRECATED = "Deprecated, removed in the next release: use "
# Families with samples once the demo's scrapes have landed (consumption needs two), after it listens.
SCRAPED = (
    "tronwatch_pool_limit_energy",
    "tronwatch_pool_used_energy",
    "tronwatch_pool_available_energy",
    "tronwatch_pool_daily_consumption_energy",
    "tronwatch_available_energy",
    "tronwatch_pool_frozen_sun",
    "tronwatch_pool_balance_sun",
    "tronwatch_emergency_fee_sun",
)


def _families(demo: Demo) -> dict[str, tuple[str, list[Sample]]]:
    _, body = http_get(f"{demo.url}/metrics")
    return {f.name: (f.documentation, f.samples) for f in text_string_to_metric_families(body.decode())}


def _families_after_first_scrape(demo: Demo) -> dict[str, tuple[str, list[Sample]]]:
    """/metrics once every SCRAPED family has samples."""
    deadline = time.monotonic() + 60
    while not all((families := _families(demo)).get(name, ("", []))[1] for name in SCRAPED):
        assert time.monotonic() < deadline, "the demo's scrapes did not land in 60 s"
        time.sleep(0.2)
    return families


def test_the_process_and_python_runtime_families_are_exported(demo: Demo) -> None:
    families = _families(demo)
    for name in ("process_resident_memory_bytes", "process_cpu_seconds", "process_open_fds", "python_info"):
        assert name in families, name
    assert families["python_gc_objects_collected"][1], "GCCollector"


def test_no_label_is_job_or_the_metric_itself_and_money_has_one_unit(demo: Demo) -> None:
    """`job` would become `exported_job`; a label named after its metric is a state set's leftover."""
    families = _families_after_first_scrape(demo)
    current = {n: s for n, (doc, s) in families.items() if not doc.startswith(DEPRECATED)}
    for name, samples in current.items():
        labels = {label for s in samples for label in s.labels}
        assert "job" not in labels and name not in labels, (name, labels)
        assert not name.endswith("_trx"), f"{name}: TRX amounts are exported in sun"
    assert current["tronwatch_task_leader"] and current["tronwatch_energy_level"]
    for name in SCRAPED:
        assert current[name], name


def test_each_renamed_family_is_still_exported_and_listed_as_deprecated(demo: Demo) -> None:
    families = _families(demo)
    docs = {name: doc for name, (doc, _) in families.items()}
    deprecated = {n: d.removeprefix(DEPRECATED) for n, d in docs.items() if d.startswith(DEPRECATED)}
    assert {
        "tronwatch_leader",
        "tronwatch_energy_state",
        "tronwatch_energy_available",
        "tronwatch_pool_energy_limit",
        "tronwatch_pool_energy_used",
        "tronwatch_pool_energy_available",
        "tronwatch_pool_frozen_trx",
        "tronwatch_pool_balance_trx",
        "tronwatch_emergency_fee_trx",
    } <= set(deprecated)
    readme = (ROOT / "README.md").read_text()
    for old, new in deprecated.items():
        replacement = re.split(r"[{ ]", new)[0]
        assert replacement in families, (old, replacement)
        (row,) = [r for r in readme.splitlines() if r.startswith("| ") and f"`{old}`" in r.split(" | ")[0]]
        assert "deprecated" in row and f"`{replacement}" in row, row
    alias = {s.labels["job"]: s.value for s in families["tronwatch_leader"][1]}
    assert alias == {s.labels["task"]: s.value for s in families["tronwatch_task_leader"][1]}
    frozen = {s.labels["pool"]: s.value for s in families["tronwatch_pool_frozen_sun"][1]}
    trx = {s.labels["pool"]: s.value * 1_000_000 for s in families["tronwatch_pool_frozen_trx"][1]}
    assert trx == pytest.approx(frozen)
