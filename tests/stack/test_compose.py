"""docker-compose.yml agrees with prometheus.yml, Grafana provisioning, Alertmanager and the daemon config."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import yaml

from daemon.cli import build_parser
from daemon.config import load_settings
from tests.stack.conftest import ROOT

SERVICES = {"tronwatch", "postgres", "prometheus", "grafana", "alertmanager", "mailpit"}


def _yaml(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text())


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """container path -> host path (relative to the repo), for bind mounts of this repo's files."""
    out = {}
    for volume in service.get("volumes", []):
        host, container = volume.split(":")[:2]
        out[container] = host
    return out


def _published(service: dict[str, Any]) -> dict[int, int]:
    return {int(p.split(":")[1]): int(p.split(":")[0]) for p in service.get("ports", [])}


def test_services_have_health_checks_and_named_volumes() -> None:
    compose = _yaml("docker-compose.yml")
    services = compose["services"]
    assert set(services) == SERVICES
    for name, service in services.items():
        assert "healthcheck" in service, name
        for volume in service.get("volumes", []):
            host = volume.split(":")[0]
            if host.startswith("./"):
                assert (ROOT / host).exists(), f"{name} mounts missing {host}"
            else:
                assert host in compose["volumes"], f"{name}: volume {host} is not declared"
    assert (ROOT / services["tronwatch"]["build"] / "Dockerfile").exists()


def test_prometheus_scrapes_the_daemon_service_on_its_configured_port() -> None:
    compose, prom = _yaml("docker-compose.yml"), _yaml("prometheus.yml")
    services = compose["services"]
    assert _mounts(services["prometheus"])["/etc/prometheus/prometheus.yml"] == "./prometheus.yml"
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    (target,) = jobs["tronwatch"]["static_configs"][0]["targets"]
    host, port = target.split(":")
    cfg = load_settings(ROOT / "deploy/tronwatch.yml", environ={})
    assert host == "tronwatch" and int(port) == cfg.server.port and cfg.server.host == "0.0.0.0"
    assert jobs["tronwatch"].get("metrics_path", "/metrics") == "/metrics" and cfg.server.metrics_public
    assert _published(services["tronwatch"])[cfg.server.port] == cfg.server.port
    assert _mounts(services["tronwatch"])["/etc/tronwatch/tronwatch.yml"] == "./deploy/tronwatch.yml"
    assert "/etc/tronwatch/tronwatch.yml" in services["tronwatch"]["command"]
    (am,) = prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert am == "alertmanager:9093" and 9093 in _published(services["alertmanager"])
    check = subprocess.run(["promtool", "check", "config", str(ROOT / "prometheus.yml")], capture_output=True)
    assert check.returncode == 0, check.stderr


def test_grafana_is_provisioned_from_dashboards_with_the_compose_prometheus() -> None:
    services = _yaml("docker-compose.yml")["services"]
    mounts = _mounts(services["grafana"])
    assert mounts["/etc/grafana/provisioning"] == "./dashboards/provisioning"
    provider = _yaml("dashboards/provisioning/dashboards/tronwatch.yml")["providers"][0]
    assert mounts[provider["options"]["path"]] == "./dashboards/json"
    home = services["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert Path(home).parent.as_posix() == provider["options"]["path"]
    assert (ROOT / "dashboards/json" / Path(home).name).exists()
    (ds,) = _yaml("dashboards/provisioning/datasources/prometheus.yml")["datasources"]
    prom_port = next(iter(_published(services["prometheus"])))
    assert ds["url"] == f"http://prometheus:{prom_port}"
    assert ds["jsonData"]["timeInterval"] == _yaml("prometheus.yml")["global"]["scrape_interval"]


def test_alerts_reach_alertmanager_and_the_mail_catcher() -> None:
    services = _yaml("docker-compose.yml")["services"]
    cfg = load_settings(ROOT / "deploy/tronwatch.yml", environ={})
    receivers = {r.name: r for r in cfg.alerts.receivers}
    assert receivers["alertmanager"].url.get_secret_value() == "http://alertmanager:9093"  # type: ignore[union-attr]
    assert receivers["ops-email"].smarthost == "mailpit:1025"  # type: ignore[union-attr]
    assert set(cfg.alerts.default_receivers) == {"log", "alertmanager", "ops-email"}
    am = _yaml("alertmanager.yml")
    assert am["receivers"][0]["email_configs"][0]["smarthost"] == "mailpit:1025"
    assert _mounts(services["alertmanager"])["/etc/alertmanager/alertmanager.yml"] == "./alertmanager.yml"
    assert cfg.database.url is not None and "@postgres:5432/" in cfg.database.url
    env = services["postgres"]["environment"]
    assert f"{env['POSTGRES_USER']}:" in cfg.database.url
    assert cfg.database.url.endswith(f"/{env['POSTGRES_DB']}")
    assert [str(p) for p in cfg.alerts.rule_files] == ["/app/rules"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY rules ./rules" in dockerfile and "WORKDIR /app" in dockerfile


def test_the_readme_quick_start_commands_use_the_compose_config() -> None:
    """`docker compose exec` CLI commands need `-c`: without it the CLI runs in demo mode in the container."""
    services = _yaml("docker-compose.yml")["services"]
    readme = (ROOT / "README.md").read_text()
    quick_start = (
        readme.split("**Quick start for the full stack**", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    )
    commands = [
        shlex.split(line)
        for line in quick_start.splitlines()
        if re.match(r"docker compose (exec|run) ", line)
    ]
    assert commands, quick_start
    mounted = {v: k for k, v in _mounts(services["tronwatch"]).items()}["./deploy/tronwatch.yml"]
    for argv in commands:
        service, program, *args = argv[3:]
        assert service == "tronwatch" and program == "tronwatch", argv
        parsed = build_parser().parse_args(args)
        assert parsed.config is not None and str(parsed.config) == mounted, argv
