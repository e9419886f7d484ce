"""`tronwatch rules export --format prometheus`: the shipped rules pass Debian's promtool check and tests."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from daemon.alerts.promql import Unsupported, to_promql
from daemon.cli import main

ROOT = Path(__file__).resolve().parents[2]
PROMTOOL = "/usr/bin/promtool"


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_shipped_rules_export_to_files_promtool_accepts_and_passes(tmp_path: Path, capsys: Any) -> None:
    assert main(["rules", "export", "--format", "prometheus", "-o", str(tmp_path), str(ROOT / "rules")]) == 0
    err = capsys.readouterr().err
    rules = sorted(p.name for p in tmp_path.glob("*.yml") if not p.stem.endswith("_test"))
    tests = sorted(p.name for p in tmp_path.glob("*_test.yml"))
    assert {"energy.yml", "system.yml"} <= set(rules) and {"energy_test.yml", "system_test.yml"} <= set(tests)
    checked = _promtool("check", "rules", *rules, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = _promtool("test", "rules", *tests, cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    energy = yaml.safe_load((tmp_path / "energy.yml").read_text())
    pool = next(r for g in energy["groups"] for r in g["rules"] if r["alert"] == "PoolUnreachable")
    assert pool["expr"] == "(max by (pool) (tronwatch_pool_up)) == 0" and pool["for"] == "5m"
    assert pool["annotations"]["summary"] == "Pool {{ $labels.pool }} could not be read from the TRON node"
    # What PromQL cannot say over the metrics is listed, with why.
    assert (
        "not exported: " in err and "partners/PartnerQueueWaitLong: partner.waiting is not a tronwatch" in err
    )
    stale = next(r for g in energy["groups"] for r in g["rules"] if r["alert"] == "EnergyDataStale")
    assert "tronwatch_energy_stale" in stale["expr"]


def test_export_keeps_the_for_each_labels_and_gates_by_shared_conditions() -> None:
    assert to_promql("pool.up and energy.usage_ratio > 0.5") == (
        "((max by (pool) (tronwatch_pool_up)) == 1) and on() ((max(tronwatch_energy_usage_ratio)) > 0.5)"
    )
    assert to_promql('energy.level in ("critical", "emergency")') == (
        'max(tronwatch_energy_level{level=~"critical|emergency"}) == 1'
    )
    assert to_promql("not queue.waiting < 3") == "(max(tronwatch_queue_waiting)) >= 3"
    with pytest.raises(Unsupported, match="or"):
        to_promql("pool.up or energy.stale")
