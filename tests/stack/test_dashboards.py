"""The dashboard JSON is hand-kept; these checks keep it consistent: uids, units, descriptions, datasource."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tests.stack.conftest import DASHBOARDS, ROOT
from tests.stack.test_prometheus import METRIC, panels

DATASOURCE_UID = "tronwatch-prometheus"
# Panels name the dashboard's datasource variable, so an import can pick any Prometheus.
DATASOURCE_REF = {"type": "prometheus", "uid": "${datasource}"}
UIDS = {
    "energy-pools.json": "tronwatch-energy-pools",
    "withdrawals.json": "tronwatch-withdrawals",
    "system-health.json": "tronwatch-system-health",
    "alerts.json": "tronwatch-alerts",
    "support-security.json": "tronwatch-support-security",
    "energy-costs.json": "tronwatch-energy-costs",
}
# What each dashboard must chart (issue 9's list), as metric names its queries use.
MUST_CHART = {
    "energy-pools.json": {
        "tronwatch_energy_level",
        "tronwatch_pool_available_energy",
        "tronwatch_pool_daily_consumption_energy",
        "tronwatch_pool_frozen_sun",
        "tronwatch_pool_runway_seconds",
        "tronwatch_pool_usage_ratio",
        "tronwatch_chain_energy_fee_sun",
        "tronwatch_pool_energy_acquired",
        "tronwatch_pool_energy_delegated_out",
        "tronwatch_pool_delegation_expiry_timestamp_seconds",
        "tronwatch_pool_shortage_forecast_seconds",
        "tronwatch_energy_shortage_forecast_seconds",
    },
    "withdrawals.json": {
        "tronwatch_queue_waiting",
        "tronwatch_queue_oldest_wait_seconds",
        "tronwatch_queue_released_total",
        "tronwatch_emergency_withdrawals_total",
        "tronwatch_emergency_fee_sun",
    },
    "system-health.json": {
        "tronwatch_http_request_duration_seconds_bucket",
        "tronwatch_http_requests_total",
        "tronwatch_db_pool_connections",
        "tronwatch_db_up",
        "tronwatch_tron_request_duration_seconds_bucket",
        "tronwatch_tron_requests_total",
        "tronwatch_ws_clients",
        "tronwatch_task_leader",
        "tronwatch_job_runs_total",
        "tronwatch_job_duration_seconds_bucket",
        "tronwatch_job_last_success_timestamp_seconds",
    },
    "alerts.json": {
        "tronwatch_alerts",
        "tronwatch_notifications_total",
        "tronwatch_notification_latency_seconds_bucket",
        "tronwatch_notification_queue_depth",
    },
    "support-security.json": {
        "tronwatch_tickets_open",
        "tronwatch_tickets_sla_breached",
        "tronwatch_security_events_total",
        "tronwatch_rate_limited_total",
    },
    "energy-costs.json": {
        "tronwatch_trx_burned_sun_total",
        "tronwatch_withdrawal_cost_sun_count",
        "tronwatch_withdrawal_cost_sun_sum",
        "tronwatch_withdrawal_cost_sun_bucket",
        "tronwatch_energy_spent_total",
    },
}


def _datasource_refs(node: Any) -> list[Any]:
    """Every `datasource` value anywhere in the document."""
    if isinstance(node, dict):
        found = [node["datasource"]] if "datasource" in node else []
        return found + [r for v in node.values() for r in _datasource_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _datasource_refs(v)]
    return []


def test_six_dashboards_with_fixed_uids_and_the_pool_variable() -> None:
    assert {p.name for p in DASHBOARDS} == set(UIDS)
    for path in DASHBOARDS:
        doc = json.loads(path.read_text())
        assert doc["uid"] == UIDS[path.name] and doc["title"].startswith("tronwatch · ")
        assert "id" not in doc or doc["id"] is None  # provisioning assigns ids; a fixed one would clash
        variables = {v["name"]: v for v in doc["templating"]["list"]}
        uses_pool = any("$pool" in t["expr"] for p in panels(path) for t in p["targets"])
        assert uses_pool == ("pool" in variables), path.name
        if uses_pool:
            assert variables["pool"]["includeAll"] and variables["pool"]["multi"]


def test_every_panel_has_a_unit_a_description_and_the_datasource_variable() -> None:
    for path in DASHBOARDS:
        doc = json.loads(path.read_text())
        refs = _datasource_refs(doc)
        assert refs and all(r == DATASOURCE_REF for r in refs), path.name
        ids = [p["id"] for p in doc["panels"]]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        for panel in panels(path):
            where = f"{path.name} / {panel.get('title')}"
            assert panel["title"] and len(panel.get("description", "")) >= 20, where
            assert panel["fieldConfig"]["defaults"].get("unit"), where
            assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), where
            assert panel["fieldConfig"]["defaults"]["thresholds"]["steps"], where
            refs = [t["refId"] for t in panel["targets"]]
            assert len(refs) == len(set(refs)), where
            if panel["type"] == "table":
                # One frame with a column per label: otherwise Grafana shows one series at a time.
                assert all(t.get("format") == "table" for t in panel["targets"]), where


def test_each_dashboard_charts_what_the_issue_lists() -> None:
    for path in DASHBOARDS:
        named = {n for p in panels(path) for t in p["targets"] for n in METRIC.findall(t["expr"])}
        assert MUST_CHART[path.name] <= named, (path.name, MUST_CHART[path.name] - named)


def test_panels_only_use_variables_grafana_or_the_dashboard_defines() -> None:
    builtin = {"__rate_interval", "__interval", "__range"}
    for path in DASHBOARDS:
        defined = {v["name"] for v in json.loads(path.read_text())["templating"]["list"]}
        for panel in panels(path):
            for target in panel["targets"]:
                used = set(re.findall(r"\$(\w+)", target["expr"])) - {"1"}
                assert used <= builtin | defined, (path.name, panel["title"], used)


def test_provisioning_points_at_the_fixed_datasource_and_one_folder() -> None:
    ds = yaml.safe_load((ROOT / "dashboards/provisioning/datasources/prometheus.yml").read_text())
    (only,) = ds["datasources"]
    assert only["uid"] == DATASOURCE_UID and only["type"] == "prometheus" and only["isDefault"]
    providers = yaml.safe_load((ROOT / "dashboards/provisioning/dashboards/tronwatch.yml").read_text())
    (provider,) = providers["providers"]
    assert provider["folder"] == "tronwatch" and provider["type"] == "file"
