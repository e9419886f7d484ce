"""Schemathesis over the alert routes (until create_app carries them): no 5xx, documented answers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from prometheus_client import CollectorRegistry

from daemon.alerts.routes import alerts_endpoints
from daemon.app import create_app
from daemon.db.embedded import EmbeddedPostgres
from daemon.http.openapi import build_document
from tests.conftest import make_settings
from tests.test_schemathesis import CHECKS, ServedApp, _prepare_database

schema = schemathesis.openapi.from_dict(build_document(alerts_endpoints()))


@pytest.fixture(scope="module")
def served(
    pg_server: EmbeddedPostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(base URL, admin key) of the app with alerts on its own database."""
    admin_key, _ = asyncio.run(_prepare_database(pg_server, "schemathesis_alerts"))
    url = pg_server.url("schemathesis_alerts")
    cfg = make_settings(url, Path(tmp_path_factory.mktemp("sta")))
    app = create_app(cfg, database_url=url, registry=CollectorRegistry())
    with ServedApp(app) as served_app:
        yield f"http://127.0.0.1:{served_app.port}", admin_key


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_alert_api_conforms_to_its_document(case: Any, served: tuple[str, str]) -> None:
    base_url, admin_key = served
    case.call_and_validate(base_url=base_url, headers={"Authorization": f"Bearer {admin_key}"}, checks=CHECKS)
