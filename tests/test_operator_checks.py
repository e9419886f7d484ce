"""`config check`, `rules check -c` and `doctor`: what would fail at the first alert is said before `run`."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from daemon.cli import main
from daemon.devnode import Devnode
from tests.alerts import test_email

RULE = """groups:
  - name: g
    rules:
      - alert: A
        expr: energy.usage_rato > 1
      - alert: B
        expr: energy.usage_ratio > 0.9
        receivers: [pager]
      - alert: C
        expr: energy.usage_ratio > 0.9
        for: soon
"""

smtp = test_email.smtp  # the aiosmtpd fixture, STARTTLS required


def write_config(tmp_path: Path, receivers: str, rule_files: str, extra: str = "") -> Path:
    cfg = tmp_path / "tw.yml"
    cfg.write_text(
        f"alerts:\n  rule_files: {rule_files}\n  default_receivers: []\n  receivers:\n{receivers}{extra}"
    )
    return cfg


BROKEN_RECEIVERS = """    - {type: slack, name: chat, url: "not a url"}
    - {type: webhook, name: plain, url: "http://hooks.example.com/x"}
    - {type: webhook, name: signed, url: "https://hooks.example.com/x", secret: "whsec_notbase64!!"}
"""


def test_config_check_reports_every_problem_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yml").write_text(RULE)
    cfg = write_config(tmp_path, BROKEN_RECEIVERS, f"[{tmp_path / 'rules'}, {tmp_path / 'gone'}]")
    assert main(["config", "check", "-c", str(cfg)]) == 2
    out = capsys.readouterr()
    assert "ok" not in out.out
    r = tmp_path / "rules" / "r.yml"
    assert out.err.splitlines() == [
        f"tronwatch: config: {cfg}: alerts.rule_files: {tmp_path / 'gone'}: no such file or directory",
        f"tronwatch: config: {cfg}: alerts.receivers.chat: url: receiver URL must be http(s)://host/...",
        f"tronwatch: config: {cfg}: alerts.receivers.plain: url: receiver URL must use https "
        "(or mark the receiver allow_private: true)",
        f"tronwatch: config: {cfg}: alerts.receivers.signed: secret: whsec_ must be followed by base64 "
        "(as Standard Webhooks secrets are)",
        f"tronwatch: config: {r}: g/A: expr: unknown name 'energy.usage_rato'; did you mean "
        "'energy.usage_ratio'?",
        f"tronwatch: config: {r}: g/B: receivers: unknown receiver 'pager' (configured: "
        "['chat', 'plain', 'signed'])",
        f"tronwatch: config: {r}: g/C: not a duration: 'soon' (use e.g. 30s, 5m, 1h30m, 1d)",
    ]


def test_run_refuses_the_same_config_in_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(
        tmp_path,
        "    - {type: log, name: log}\n",
        f"[{tmp_path / 'gone'}]",
        "database:\n  url: postgresql://x@127.0.0.1:1/x\n",
    )
    assert main(["run", "-c", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"tronwatch: config: {cfg}: alerts.rule_files: {tmp_path / 'gone'}: no such file or directory\n"
    )


def test_rules_check_lists_every_error_and_checks_receivers_with_c(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "r.yml"
    rules.write_text(RULE)
    assert main(["rules", "check", str(rules)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[2] for line in err] == ["g/A", "g/C"]  # without -c receivers are not known
    cfg = write_config(tmp_path, "    - {type: log, name: ops}\n", "[]")
    assert main(["rules", "check", "-c", str(cfg), str(rules)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[2] for line in err] == ["g/A", "g/B", "g/C"]
    assert "unknown receiver 'pager' (configured: ['ops'])" in err[1]


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_doctor_passes_when_everything_answers(
    database_url: str,
    tmp_path: Path,
    smtp: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, smtp_port, ca = smtp
    hook_app = web.Application()
    hook = TestServer(hook_app, host="127.0.0.1")
    await hook.start_server()
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yml").write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: energy.usage_ratio > 0.9\n"
    )
    async with Devnode.start(speed=0) as node:
        receivers = (
            f"    - {{type: webhook, name: hook, url: '{hook.make_url('/x')}', allow_private: true}}\n"
            f"    - {{type: email, name: mail, smarthost: '127.0.0.1:{smtp_port}', from: a@example.com, "
            f"to: [b@example.com], ca_file: '{ca}', allow_private: true}}\n"
        )
        extra = f"database:\n  url: {database_url}\ntron:\n  network: {node.url}\n"
        cfg = write_config(tmp_path, receivers, f"[{tmp_path / 'rules'}]", extra)
        code = await asyncio.to_thread(main, ["doctor", "-c", str(cfg)])
    await hook.close()
    lines = capsys.readouterr().out.splitlines()
    assert code == 0, lines
    assert [line.split(":")[0] for line in lines] == [
        "ok   database",
        "ok   tron node",
        "ok   tron solidity",
        "ok   receiver hook",
        "ok   receiver mail",
        "ok   rule files",
    ]
    assert "migrated" in lines[0] and "head block" in lines[1] and "EHLO" in lines[4]


async def test_doctor_names_each_failure(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = await asyncpg.connect(database_url)
    await conn.execute("UPDATE alembic_version SET version_num = '0005'")
    await conn.close()
    port = dead_port()
    receivers = (
        f"    - {{type: alertmanager, name: am, url: 'http://127.0.0.1:{port}', allow_private: true}}\n"
        "    - {type: webhook, name: inside, url: 'https://127.0.0.1/x'}\n"
        f"    - {{type: email, name: mail, smarthost: '127.0.0.1:{port}', from: a@example.com, "
        "to: [b@example.com], allow_private: true}\n"
    )
    extra = f"database:\n  url: {database_url}\ntron:\n  network: http://127.0.0.1:{port}\n"
    cfg = write_config(tmp_path, receivers, f"[{tmp_path / 'gone'}]", extra)
    assert await asyncio.to_thread(main, ["doctor", "-c", str(cfg)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "FAIL database",
        "FAIL tron node",
        "FAIL tron solidity",
        "FAIL receiver am",
        "FAIL receiver inside",
        "FAIL receiver mail",
        "FAIL rule files",
    ]
    assert "at revision 0005" in lines[0] and "tronwatch migrate" in lines[0]
    assert "non-public address" in lines[4]
    assert "no such file or directory" in lines[6]
