"""`tronwatch rules check|test`: the default rules and their tests pass; a broken file says where and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.alerts.settings import DEFAULT_RULES
from daemon.cli import main


def test_default_rules_check_and_their_tests_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", str(DEFAULT_RULES / "energy.yml"), str(DEFAULT_RULES / "system.yml")]) == 0
    assert main(["rules", "test", *map(str, sorted(DEFAULT_RULES.glob("*_test.yml")))]) == 0
    out = capsys.readouterr().out
    assert "energy.yml: 10 rules found" in out and "0 failed" in out


def test_check_names_file_rule_and_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: energy.usage_rato > 1\n"
    )
    assert main(["rules", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: g/A: expr: unknown name 'energy.usage_rato'; did you mean 'energy.usage_ratio'?" in err


def test_a_failing_rule_test_fails_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "r.yml").write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: Low\n"
        "        expr: energy.available_percentage < 20\n        for: 2m\n"
    )
    (tmp_path / "r_test.yml").write_text(
        "rule_files: [r.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n"
        "      - series: energy.available_percentage\n        values: '50 10x5'\n"
        "    alert_rule_test:\n      - eval_time: 2m\n        alertname: Low\n"
        "        exp_alerts: [{exp_labels: {}}]\n"
    )
    assert main(["rules", "test", str(tmp_path / "r_test.yml")]) == 1  # at 2m it is still pending
    assert "Low at 2m: expected [{}], got []" in capsys.readouterr().err
