"""The routing tree: inheritance, first match vs continue, group keys; answers compared with amtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from daemon.alerts.routing import route
from daemon.alerts.settings import AlertsSettings
from daemon.cli import main

RECEIVERS = ["ops", "pager", "db", "quiet", "eu", "all"]
ROUTE: dict[str, Any] = {
    "receiver": "ops",
    "group_by": ["alertname"],
    "group_wait": "10s",
    "routes": [
        {
            "matchers": ['severity=~"critical|emergency"', 'pool!="test"'],
            "receiver": "pager",
            "continue": True,
        },
        {
            "matchers": ['alertname=~"Db.*"'],
            "receiver": "db",
            "group_by": ["..."],
            "routes": [{"matchers": ['region="eu"'], "receiver": "eu", "repeat_interval": "1h"}],
        },
        {"matchers": ['severity="info"'], "receiver": "quiet", "group_by": ["alertname", "pool"]},
        {"matchers": ['team!~"core|infra"', "pool=~.+"], "receiver": "all", "continue": True},
        {"matchers": ["pool=alpha"], "receiver": "db"},
    ],
}
LABEL_SETS = [
    "alertname=PoolFull,severity=critical,pool=alpha",
    "alertname=PoolFull,severity=critical,pool=test",
    "alertname=DbDown,severity=warning",
    "alertname=DbDown,severity=critical,region=eu",
    "alertname=DbSlow,region=eu,pool=beta",
    "alertname=Disk,severity=info,pool=beta",
    "alertname=Disk,severity=warning,pool=alpha,team=core",
    "alertname=Disk,severity=warning,pool=alpha",
    "alertname=Other",
    "alertname=Other,severity=emergency",
]


def settings(route_doc: dict[str, Any] = ROUTE) -> AlertsSettings:
    return AlertsSettings.model_validate(
        {
            "receivers": [{"type": "log", "name": n} for n in RECEIVERS],
            "default_receivers": ["ops"],
            "route": route_doc,
        }
    )


def labels(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split(","))


def test_first_match_wins_unless_continue_and_children_inherit() -> None:
    tree = settings().tree()
    assert tree is not None
    got = route(tree, labels("alertname=DbDown,severity=critical,region=eu"))
    assert [m.receiver for m in got] == ["pager", "eu"]
    pager, eu = got
    assert pager.group_key == '{}/{pool!="test",severity=~"critical|emergency"}:{alertname="DbDown"}'
    assert pager.node.group_wait == 10.0 and pager.node.group_interval == 300.0  # inherited / default
    assert pager.node.repeat_interval is None  # no route set one: rules' own repeat_interval applies
    assert eu.node.group_by == ("...",) and eu.node.repeat_interval == 3600.0
    assert eu.group_labels == labels("alertname=DbDown,severity=critical,region=eu")  # '...': every label
    (fallback,) = route(tree, labels("alertname=Other"))
    assert fallback.receiver == "ops" and fallback.group_key == '{}:{alertname="Other"}'


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({**ROUTE, "receiver": "nobody"}, "unknown receiver 'nobody'"),
        (
            {**ROUTE, "routes": [{"receiver": "db", "mute_time_intervals": ["nights"]}]},
            "unknown time interval",
        ),
        ({**ROUTE, "matchers": ["a=b"]}, "root route"),
        ({**ROUTE, "routes": [{"matchers": ['a=~"(?=x)"']}]}, "RE2"),
        ({**ROUTE, "group_wait": "soon"}, "not a duration"),
    ],
)
def test_bad_trees_are_config_errors(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(doc)


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "tronwatch.yml"
    doc = {
        "alerts": {
            "receivers": [{"type": "log", "name": n} for n in RECEIVERS],
            "default_receivers": ["ops"],
            "route": ROUTE,
        }
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def ours(config: Path, label_text: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["routes", "test", "-c", str(config), "--labels", label_text]) == 0
    return capsys.readouterr().out.strip()


def test_routes_test_prints_the_receivers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    assert ours(config, "alertname=PoolFull,severity=critical,pool=alpha", capsys) == "pager,all,db"
    assert main(["routes", "test", "-c", str(config), "--labels", "nonsense"]) == 2
    assert "bad label 'nonsense'" in capsys.readouterr().err
    assert main(["routes", "show", "-c", str(config)]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[0] == "(all) -> ops group_by=[alertname]"
    assert '    region="eu" -> eu group_by=[...]' in shown


@pytest.mark.skipif(
    shutil.which("amtool") is None, reason="Debian's prometheus-alertmanager (amtool) missing"
)
def test_answers_agree_with_amtool(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    am = tmp_path / "alertmanager.yml"
    am.write_text(yaml.safe_dump({"route": ROUTE, "receivers": [{"name": n} for n in RECEIVERS]}))
    for label_text in LABEL_SETS:
        theirs = subprocess.run(
            ["amtool", "config", "routes", "test", f"--config.file={am}", *label_text.split(",")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert ours(config, label_text, capsys) == theirs, label_text


def test_the_readme_routing_example_loads_and_routes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_readme import blocks

    (doc,) = blocks("routes-config")
    config = tmp_path / "tronwatch.yml"
    config.write_text(doc)
    assert main(["config", "check", "-c", str(config)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert ours(config, "alertname=PoolFull,severity=critical,pool=a", capsys) == "oncall-email"
    assert ours(config, "alertname=PoolFull,severity=critical,pool=staging", capsys) == "ops-slack"
    assert ours(config, "alertname=PoolLow,severity=warning", capsys) == "ops-slack"
