"""Configuration: file + env overrides + ${VAR} secrets; one clear line per problem, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.config import ConfigError, load_settings, mask_url, redacted


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tronwatch.yml"
    path.write_text(text)
    return path


def test_file_env_override_and_secret_reference(tmp_path: Path) -> None:
    path = _write(tmp_path, "database:\n  url: postgresql://tw:${DB_PASS}@db/tw\nserver:\n  port: 9000\n")
    settings = load_settings(
        path,
        environ={"DB_PASS": "s3cret", "TRONWATCH_SERVER__PORT": "9100", "TRONWATCH_TRON__NETWORK": "nile"},
    )
    assert settings.database.url == "postgresql://tw:s3cret@db/tw"
    assert settings.server.port == 9100 and settings.tron.network == "nile"
    assert not settings.demo


def test_defaults_mean_demo_mode() -> None:
    settings = load_settings(None, environ={})
    assert settings.demo and settings.server.port == 8080 and settings.tron.network == "none"


def test_every_problem_is_reported_with_file_and_key(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "server:\n  port: 99999\n  colour: red\ndatabase:\n  url: mysql://x\n"
        "tron:\n  network: moon\n  api_keys: ['${MISSING_KEY}']\n",
    )
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    assert err.value.problems == [f"{path}: tron.api_keys[0]: environment variable MISSING_KEY is not set"]
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={"MISSING_KEY": "k"})
    lines = err.value.problems
    assert any(line.startswith(f"{path}: server.port: ") for line in lines)
    assert f"{path}: server.colour: unknown key" in lines
    assert any(line.startswith(f"{path}: database.url: ") and "postgresql://" in line for line in lines)
    assert any(line.startswith(f"{path}: tron.network: ") for line in lines)
    assert len(lines) == 4


def test_broken_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(_write(tmp_path, "server: [unclosed\n"), environ={})
    assert "invalid YAML" in err.value.problems[0] and "line" in err.value.problems[0]
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "nope.yml", environ={})
    assert "cannot read" in err.value.problems[0]


def test_config_check_command_exit_codes(tmp_path: Path) -> None:
    bad = _write(tmp_path, "server:\n  port: nope\n")
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "config", "check", "-c", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    expected = f"tronwatch: config: {bad}: server.port: Input should be a valid integer"
    assert result.stderr.strip().startswith(expected) and len(result.stderr.strip().splitlines()) == 1
    good = _write(tmp_path, "database:\n  url: postgresql://u:pw@h/db\ntron:\n  api_keys: [topsecret]\n")
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "config", "check", "-c", str(good)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "ok" in result.stdout and "topsecret" not in result.stdout


def test_shipped_example_config_is_valid() -> None:
    example = Path(__file__).parent.parent / "tronwatch.example.yml"
    settings = load_settings(example, environ={"TRONWATCH_DB_PASSWORD": "x", "TRONGRID_API_KEY": "k"})
    assert settings.database.url is not None


def test_mask_url_hides_password() -> None:
    assert mask_url("postgresql://tw:hunter2@db:5432/tw") == "postgresql://tw:***@db:5432/tw"
    assert mask_url("postgresql://db/tw") == "postgresql://db/tw"


def test_an_empty_section_means_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, "server:\n  # port: 8081\nenergy:\n")
    assert load_settings(path, environ={}).server.port == 8080
    assert load_settings(path, environ={}, overrides={"server": {"port": 9999}}).server.port == 9999
    bad = _write(tmp_path, "server: 5\n")
    with pytest.raises(ConfigError) as err:
        load_settings(bad, environ={}, overrides={"server": {"port": 9999}})
    assert err.value.problems == [
        f"{bad}: server: Input should be a valid dictionary or instance of ServerSettings"
    ]


def test_env_problems_name_the_variable_and_top_level_keys_can_be_set(tmp_path: Path) -> None:
    path = _write(tmp_path, "server:\n  host: 0.0.0.0\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={"TRONWATCH_SERVER__PORT": "abc", "TRONWATCH_SERVER__COLOUR": "red"})
    assert err.value.problems == [
        "environment variable TRONWATCH_SERVER__PORT: server.port: "
        "Input should be a valid integer, unable to parse string as an integer",
        "environment variable TRONWATCH_SERVER__COLOUR: server.colour: unknown key",
    ]
    # Top-level keys need no `__`; other TRONWATCH_* names (${VAR} secrets) are not settings.
    settings = load_settings(
        path, environ={"TRONWATCH_DATA_DIR": str(tmp_path / "d"), "TRONWATCH_DB_PASSWORD": "x"}
    )
    assert settings.data_dir == tmp_path / "d"


SECRETS = (
    "dbpass9",
    "apikey1",
    "nodekey2",
    "probepass3",
    "urltok4",
    "whsec_c2VjcmV0c2VjcmV0",
    "smtppass5",
    "acklink6",
)


def _secret_config(tmp_path: Path) -> Path:
    return _write(
        tmp_path,
        """
database:
  url: postgresql://tw:${DB_PASS}@db:5432/tw
tron:
  network: https://node.example/jsonrpc?apikey=nodekey2
  api_keys: [apikey1]
monitoring:
  probe_url: http://probe:probepass3@127.0.0.1:8080/healthz
alerts:
  ack_link_secret: acklink6
  default_receivers: [hook]
  receivers:
    - {name: hook, type: webhook, url: "https://h.example/x?token=urltok4", secret: whsec_c2VjcmV0c2VjcmV0}
    - {name: mail, type: email, smarthost: "smtp:587", from: a@b.c, to: [o@b.c],
       username: u, password: smtppass5}
""",
    )


def test_redacted_settings_hide_every_secret(tmp_path: Path) -> None:
    shown = redacted(load_settings(_secret_config(tmp_path), environ={"DB_PASS": "dbpass9"}))
    text = str(shown)
    assert not [s for s in SECRETS if s in text]
    assert shown["database"]["url"] == "postgresql://tw:***@db:5432/tw"
    assert shown["tron"]["network"] == "https://node.example/jsonrpc?apikey=***"
    assert shown["monitoring"]["probe_url"] == "http://probe:***@127.0.0.1:8080/healthz"
    assert shown["alerts"]["receivers"][1]["username"] == "u"  # not a secret: stays readable
    assert shown["server"]["port"] == 8080


def test_config_check_prints_no_secret(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "config", "check", "-c", str(_secret_config(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DB_PASS": "dbpass9"},
    )
    assert result.returncode == 0, result.stderr
    assert "postgresql://tw:***@db:5432/tw" in result.stdout
    assert not [s for s in SECRETS if s in result.stdout + result.stderr]


NILE_USDT = "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf"


def test_usdt_contract_is_validated_and_required_for_shasta(tmp_path: Path) -> None:
    def problems(text: str, environ: dict[str, str] | None = None) -> list[str]:
        path = _write(tmp_path, text)
        with pytest.raises(ConfigError) as err:
            load_settings(path, environ=environ or {})
        return [line.removeprefix(f"{path}: ") for line in err.value.problems]

    assert problems("tron:\n  network: shasta\n") == [
        "tron.usdt_contract: Value error, required for network shasta, which has no canonical USDT contract"
    ]
    bad = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"  # last character changed: checksum fails
    [line] = problems(f"tron:\n  network: nile\n  usdt_contract: {bad}\n")
    assert line.startswith("tron.usdt_contract: ") and "base58check" in line
    with pytest.raises(ConfigError) as err:
        load_settings(None, environ={"TRONWATCH_TRON__USDT_CONTRACT": "0xdead"})
    assert err.value.problems[0].startswith("environment variable TRONWATCH_TRON__USDT_CONTRACT: ")
    ok = load_settings(
        _write(tmp_path, f"tron:\n  network: shasta\n  usdt_contract: {NILE_USDT}\n"), environ={}
    )
    assert ok.tron.usdt_contract == NILE_USDT
    url = load_settings(_write(tmp_path, "tron:\n  network: https://nile.trongrid.io/\n"), environ={})
    assert url.tron.usdt_contract is None
    empty = load_settings(_write(tmp_path, "tron:\n  usdt_contract: '${USDT:-}'\n"), environ={})
    assert empty.tron.usdt_contract is None  # an empty ${VAR:-} means unset


def test_config_check_rejects_shasta_without_usdt_contract(tmp_path: Path) -> None:
    path = _write(tmp_path, "tron:\n  network: shasta\n")
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "config", "check", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"tronwatch: config: {path}: tron.usdt_contract: ") and "shasta" in line


def test_default_receivers_must_name_a_configured_receiver(tmp_path: Path) -> None:
    """Listing receivers replaces the built-in `log`: a default still naming it would stop every start."""
    path = tmp_path / "tw.yml"
    path.write_text(
        "alerts:\n  default_receivers: [log, team]\n  receivers:\n"
        '    - {type: webhook, name: team, url: "https://ops.example.com/hook"}\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    [problem] = caught.value.problems
    assert "default_receivers: unknown receiver 'log'" in problem and "team" in problem
