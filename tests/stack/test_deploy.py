"""The deployable units: the systemd service, the container image and the Kubernetes manifests."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from daemon.cli import build_parser
from daemon.config import load_settings
from tests.stack.conftest import ROOT

UNIT = ROOT / "deploy/tronwatch.service"
K8S = ROOT / "deploy/kubernetes"
# The oldest Kubernetes still in wide use, and the newest the schema package knows.
K8S_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


def _systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd (scripts/test installs it)")
    return tool


def _unit_here(tmp_path: Path) -> Path:
    """The unit with its ExecStart pointed at this checkout's installed `tronwatch` (verify needs one)."""
    installed = Path(sys.executable).parent / "tronwatch"
    assert installed.exists(), "pip install -e . provides the tronwatch console script"
    unit = tmp_path / "tronwatch.service"
    unit.write_text(UNIT.read_text().replace("/opt/tronwatch/bin/tronwatch", str(installed)))
    return unit


def _unit_option(key: str) -> str:
    (value,) = re.findall(rf"^{key}=(.*)$", UNIT.read_text(), re.M)
    return value


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    result = subprocess.run(
        [_systemd_analyze(), "verify", str(_unit_here(tmp_path))], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result


def test_the_systemd_unit_is_hardened_to_an_ok_exposure(tmp_path: Path) -> None:
    """`systemd-analyze security` scores 0 (locked down) to 10; --threshold is in tenths."""
    result = subprocess.run(
        [_systemd_analyze(), "security", "--offline=yes", "--threshold=20", str(_unit_here(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-600:]


def test_the_unit_runs_the_cli_as_its_own_user_and_stops_restarting_on_a_config_error() -> None:
    binary, *args = shlex.split(_unit_option("ExecStart"))
    assert binary == "/opt/tronwatch/bin/tronwatch"
    parsed = build_parser().parse_args(args)
    assert parsed.command == "run" and str(parsed.config) == "/etc/tronwatch/tronwatch.yml"
    assert _unit_option("User") == "tronwatch" and _unit_option("RestartPreventExitStatus") == "2"
    assert "-HUP" in _unit_option("ExecReload")  # SIGHUP reloads the alert rules


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _k8s() -> dict[str, dict[str, Any]]:
    docs = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            docs[f"{doc['kind']}/{path.name}"] = doc
    return docs


def _deployment() -> dict[str, Any]:
    (dep,) = [d for d in _k8s().values() if d["kind"] == "Deployment"]
    return dep


def test_the_image_runs_as_a_numeric_non_root_user_with_a_healthcheck() -> None:
    steps = _dockerfile()
    users = [args for cmd, args in steps if cmd == "USER"]
    assert users, "the image must not run as root"
    uid, gid = users[-1].split(":")
    assert uid.isdigit() and gid.isdigit() and int(uid) > 0, "Kubernetes' runAsNonRoot needs a numeric uid"
    assert any(cmd == "RUN" and f"useradd --system --uid {uid}" in args for cmd, args in steps)
    pod = _deployment()["spec"]["template"]["spec"]["securityContext"]
    assert (pod["runAsNonRoot"], pod["runAsUser"], pod["runAsGroup"]) == (True, int(uid), int(gid))
    (health,) = [args for cmd, args in steps if cmd == "HEALTHCHECK"]
    (port,) = [args for cmd, args in steps if cmd == "EXPOSE"]
    assert f"curl -fsS http://127.0.0.1:{port}/healthz" in health
    assert any(cmd == "RUN" and "apt-get install" in args and " curl" in args for cmd, args in steps)
    (entrypoint,) = [args for cmd, args in steps if cmd == "ENTRYPOINT"]
    (command,) = [args for cmd, args in steps if cmd == "CMD"]
    assert yaml.safe_load(entrypoint) == ["tronwatch"]
    assert build_parser().parse_args(yaml.safe_load(command)).command == "run"


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_the_kubernetes_manifests_validate_strictly_against_the_api_schema(version: str) -> None:
    docs = _k8s()
    assert {d["kind"] for d in docs.values()} == {
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "Kustomization",
    }
    for doc in docs.values():
        if doc["kind"] != "Kustomization":  # kustomize's own file, not an API object
            kubernetes_validate.validate(doc, version, strict=True)
    kustomization = next(d for d in docs.values() if d["kind"] == "Kustomization")
    assert sorted(kustomization["resources"]) == sorted(
        p.name for p in K8S.glob("*.yaml") if p.stem != "kustomization"
    )


def test_strict_validation_refuses_a_misspelt_field() -> None:
    dep = _deployment()
    dep["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/readyz"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(dep, K8S_VERSIONS[0], strict=True)


def test_the_pods_probe_the_daemons_health_routes_and_load_the_shipped_config(tmp_path: Path) -> None:
    docs = _k8s()
    dep = _deployment()
    (container,) = dep["spec"]["template"]["spec"]["containers"]
    assert build_parser().parse_args(container["args"]).command == "run"
    (port,) = container["ports"]
    assert (
        container["livenessProbe"]["httpGet"]["path"],
        container["readinessProbe"]["httpGet"]["path"],
    ) == (
        "/healthz",
        "/readyz",
    )
    assert all(container[p]["httpGet"]["port"] == port["name"] for p in ("startupProbe", "livenessProbe"))
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    config_map = next(d for d in docs.values() if d["kind"] == "ConfigMap")
    config = tmp_path / "tronwatch.yml"
    config.write_text(config_map["data"]["tronwatch.yml"])
    settings = load_settings(config, environ={"DATABASE_URL": "postgresql://tw:pw@db:5432/tw"})
    assert (
        settings.server.port == port["containerPort"]
        and settings.database.url == "postgresql://tw:pw@db:5432/tw"
    )
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert str(Path(mounts["config"]) / "tronwatch.yml") == str(container["args"][-1])
    service = next(d for d in docs.values() if d["kind"] == "Service")
    assert service["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]
