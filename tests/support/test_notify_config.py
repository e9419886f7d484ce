"""support.notify_receivers is checked when the config loads: a typo is a config error, not lost notices."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config import ConfigError, load_settings

RECEIVERS = """
alerts:
  receivers:
    - {type: log, name: log}
    - {type: webhook, name: team, url: "https://support.example.com/hook"}
support:
  notify_receivers: %s
"""


def _config(tmp_path: Path, names: str) -> Path:
    path = tmp_path / "tronwatch.yml"
    path.write_text(RECEIVERS % names, encoding="utf-8")
    return path


def test_an_unknown_notify_receiver_is_a_config_error_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, "[team, taem]")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    [problem] = caught.value.problems
    assert "support.notify_receivers" in problem and "'taem'" in problem and "log, team" in problem
    assert main(["config", "check", "-c", str(path)]) == 2
    assert "support.notify_receivers: unknown receiver 'taem'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("names", "loaded"),
    [
        ("[team]", ["team"]),
        ("[log, team]", ["log", "team"]),
        ("[]", []),
        ("null", None),
        ('["partner:7"]', ["partner:7"]),
    ],
)
def test_configured_receivers_load(tmp_path: Path, names: str, loaded: list[str] | None) -> None:
    assert load_settings(_config(tmp_path, names), environ={}).support.notify_receivers == loaded
