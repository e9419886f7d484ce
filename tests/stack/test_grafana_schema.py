"""The dashboards against Grafana's own schema (@grafana/schema, checked by tsc), importable anywhere."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.stack.conftest import DASHBOARDS, ROOT

SCHEMA_DIR = ROOT / "tests/stack/grafana-schema"
PACKAGE = SCHEMA_DIR / "node_modules/@grafana/schema"
# Keys Grafana's export adds for the import dialog; they are not part of the dashboard model.
IMPORT_ONLY = ("__inputs", "__requires")


def _tsc() -> list[str]:
    """The vendored TypeScript compiler; fails (never skips) when node or `npm ci` is missing."""
    node = shutil.which("node")
    tsc = SCHEMA_DIR / "node_modules/typescript/bin/tsc"
    if node is None:
        pytest.fail("node is not installed: apt-get install nodejs npm (scripts/test installs them)")
    if not tsc.exists() or not PACKAGE.exists():
        pytest.fail(f"run `npm ci` in {SCHEMA_DIR} first (scripts/test does)")
    return [node, str(tsc), "-p", str(SCHEMA_DIR / "tsconfig.json")]


def _check(docs: dict[str, dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    """Write each document as a typed TypeScript literal and type-check them all at once."""
    out = SCHEMA_DIR / "generated"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    for name, doc in docs.items():
        body = {k: v for k, v in doc.items() if k not in IMPORT_ONLY}
        (out / f"{name}.ts").write_text(
            "import type { DashboardJson } from '../schema';\n\n"
            f"export const dashboard = {json.dumps(body, indent=1)} satisfies DashboardJson;\n"
        )
    try:
        return subprocess.run(_tsc(), capture_output=True, text=True, check=False, cwd=SCHEMA_DIR)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


def test_every_dashboard_type_checks_against_grafanas_schema() -> None:
    result = _check({p.stem.replace("-", "_"): _load(p) for p in DASHBOARDS})
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_the_schema_check_refuses_what_grafana_would_rewrite() -> None:
    """A legend without calcs, gauge options on a bar gauge, a link without icon: tsc names each."""
    doc = _load(ROOT / "dashboards/json/energy-pools.json")
    broken = copy.deepcopy(doc)
    panels = {p["type"]: p for p in broken["panels"]}
    del panels["timeseries"]["options"]["legend"]["calcs"]
    panels["bargauge"]["options"]["showThresholdMarkers"] = True
    del panels["stat"]["options"]["wideLayout"]
    del broken["links"][0]["icon"]
    result = _check({"broken": broken})
    assert result.returncode != 0
    for name in ("'calcs'", "showThresholdMarkers", "wideLayout", "icon"):
        assert name in result.stdout, (name, result.stdout)


def test_schema_version_is_the_one_grafana_of_the_compose_stack_writes() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    grafana = compose["services"]["grafana"]["image"].split(":")[1]
    pinned = json.loads((SCHEMA_DIR / "package.json").read_text())["devDependencies"]["@grafana/schema"]
    assert pinned == grafana
    if not PACKAGE.exists():
        pytest.fail(f"run `npm ci` in {SCHEMA_DIR} first (scripts/test does)")
    defaults = (PACKAGE / "dist/esm/raw/dashboard/x/dashboard_types.gen.js").read_text()
    expected = int(re.search(r"schemaVersion: (\d+)", defaults).group(1))  # type: ignore[union-attr]
    assert {p.name: _load(p)["schemaVersion"] for p in DASHBOARDS} == {p.name: expected for p in DASHBOARDS}


def _import(doc: dict[str, Any], chosen_uid: str) -> dict[str, Any]:
    """What Grafana's import dialog does: each `${<input>}` becomes the datasource the user picked."""
    text = json.dumps({k: v for k, v in doc.items() if k not in IMPORT_ONLY})
    for inp in doc["__inputs"]:
        text = text.replace("${" + inp["name"] + "}", chosen_uid)
    imported: dict[str, Any] = json.loads(text)
    return imported


def test_a_dashboard_imports_onto_any_prometheus_datasource() -> None:
    for path in DASHBOARDS:
        doc = _load(path)
        assert doc["__inputs"] == [
            {
                "name": "DS_PROMETHEUS",
                "label": "Prometheus",
                "description": "The Prometheus that scrapes tronwatch's /metrics",
                "type": "datasource",
                "pluginId": "prometheus",
                "pluginName": "Prometheus",
            }
        ], path.name
        imported = _import(doc, "someone-elses-prometheus")
        assert "tronwatch-prometheus" not in json.dumps(imported), path.name
        variables = {v["name"]: v for v in imported["templating"]["list"]}
        ds = variables["datasource"]
        assert (ds["type"], ds["query"]) == ("datasource", "prometheus"), path.name
        assert ds["current"]["value"] == "someone-elses-prometheus", path.name
        assert "${DS_" not in json.dumps(imported), path.name


def test_the_provisioned_grafana_resolves_the_variable_to_its_only_prometheus() -> None:
    """Provisioning skips the import dialog: the variable falls back to its first (here only) Prometheus."""
    ds = yaml.safe_load((ROOT / "dashboards/provisioning/datasources/prometheus.yml").read_text())
    prometheus = [d for d in ds["datasources"] if d["type"] == "prometheus"]
    assert len(prometheus) == 1 and prometheus[0]["isDefault"]
