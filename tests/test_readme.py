"""README code blocks marked `<!-- readme-test: KIND -->` run as written; every Python block is marked."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.devnode import Devnode

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(
    r"(?:<!-- readme-test: (?P<kind>[a-z-]+) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)\n```", re.S
)
ENV = {  # what the config example takes from the environment
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/XXXX",
    "WEBHOOK_SECRET": "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "SMTP_PASSWORD": "not-a-real-one",
    "TELEGRAM_URL": "tgram://123456789:not-a-real-token/987654321",
}


def blocks(kind: str) -> list[str]:
    found = [m["body"] for m in BLOCK.finditer(README.read_text(encoding="utf-8")) if m["kind"] == kind]
    assert found, f"no README block marked readme-test: {kind}"
    return found


def test_every_python_block_is_a_tested_example() -> None:
    unmarked = [
        m["body"][:60] for m in BLOCK.finditer(README.read_text()) if m["lang"] == "python" and not m["kind"]
    ]
    assert unmarked == []


async def test_the_python_examples_run_against_the_devnode() -> None:
    async with Devnode.start(speed=0) as node:
        for body in blocks("python-devnode"):
            # The README names `tronwatch devnode`'s default port; this test's own node listens elsewhere.
            code = body.replace("http://127.0.0.1:18090/", node.url.rstrip("/") + "/")
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
            )
            out, err = await proc.communicate()
            assert proc.returncode == 0, err.decode()
            assert "EnergyLimit" in out.decode()


def test_the_config_and_rules_examples_pass_their_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    (config,) = blocks("config-check")
    (rules,) = blocks("rules-check")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "example.yml").write_text(rules)
    cfg = tmp_path / "tronwatch.yml"
    # The example's receivers with the example rule as the only rule file (not the shipped ones).
    cfg.write_text(config + f"\n  rule_files: [{tmp_path / 'rules'}]\n")
    assert main(["config", "check", "-c", str(cfg)]) == 0, capsys.readouterr().err
    assert main(["rules", "check", "-c", str(cfg), str(tmp_path / "rules" / "example.yml")]) == 0
    out = capsys.readouterr().out
    assert os.environ["SMTP_PASSWORD"] not in out and "not-a-real-token" not in out  # secrets stay masked
