"""`tronwatch doctor`: does everything a configured tronwatch talks to answer? One line per check."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import aiosmtplib

from daemon.alerts import checks
from daemon.alerts.channels.email import EmailChannel
from daemon.alerts.settings import EmailReceiver, LogReceiver, Receiver
from daemon.alerts.ssrf import BlockedURL, check_url, public
from daemon.config import Settings
from daemon.db import migrate
from daemon.db.connect import DatabaseUnavailable, connect
from daemon.db.embedded import DataDirError
from daemon.db.target import open_database
from daemon.rule_catalog import rule_namespaces
from daemon.tron.options import resolve_endpoint


@dataclass(frozen=True)
class Result:
    """One check's verdict."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        """`ok   name: detail` or `FAIL name: detail`."""
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def solidity_endpoint(settings: Settings) -> str:
    """Base URL whose /walletsolidity/* answers solidified data (today: the node's own)."""
    return resolve_endpoint(settings.tron.network)


async def _database(settings: Settings) -> Result:
    try:
        async with open_database(settings) as target:
            conn = await connect(target.url, connect_timeout=settings.database.connect_timeout)
            try:
                current = await migrate.current_revision(conn)
            finally:
                await conn.close()
            head = migrate.head_revision()
            if current != head:
                return Result(
                    "database",
                    False,
                    f"{target.description}: at revision {current}, this build needs "
                    f"{head} (run `tronwatch migrate`)",
                )
            return Result("database", True, f"{target.description}: reachable, migrated (revision {head})")
    except (DatabaseUnavailable, DataDirError) as exc:
        return Result("database", False, str(exc))


async def _post_json(session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> dict[str, Any]:
    async with session.post(url, json={}, headers=headers, allow_redirects=False) as resp:
        if resp.status != 200:
            raise ValueError(f"HTTP {resp.status}")
        doc = await resp.json(content_type=None)
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
        return doc


async def _tron(settings: Settings) -> list[Result]:
    network = settings.tron.network
    if network in ("none", "devnode"):
        why = "not configured (tron.network: none)" if network == "none" else "in-process devnode (simulated)"
        return [Result("tron node", True, why)]
    headers = {"TRON-PRO-API-KEY": settings.tron.api_keys[0]} if settings.tron.api_keys else {}
    timeout = aiohttp.ClientTimeout(total=settings.tron.timeout)
    out = []
    async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as session:
        for name, url in (
            ("tron node", resolve_endpoint(network) + "wallet/getnowblock"),
            ("tron solidity", solidity_endpoint(settings) + "walletsolidity/getnowblock"),
        ):
            where = urlsplit(url)
            short = f"{where.scheme}://{where.netloc}{where.path}"
            try:
                doc = await _post_json(session, url, headers)
                number = doc["block_header"]["raw_data"]["number"]
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError, KeyError, TypeError) as exc:
                out.append(Result(name, False, f"{short}: {type(exc).__name__}: {exc}"[:300]))
                continue
            out.append(Result(name, True, f"{short}: head block {number}"))
    return out


async def _connect(host: str, port: int, tls: ssl.SSLContext | None, allow_private: bool) -> None:
    if not allow_private:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        bad = [str(i[4][0]) for i in infos if not public(str(i[4][0]))]
        if bad:
            raise BlockedURL(f"{host} resolves to a non-public address ({bad[0]}); allow_private is off")
    _, writer = await asyncio.open_connection(host, port, ssl=tls, server_hostname=host if tls else None)
    writer.close()
    await writer.wait_closed()


async def _http_receiver(r: Receiver, url: str) -> Result:
    name = f"receiver {r.name}"
    try:
        check_url(url, allow_private=r.allow_private)
    except BlockedURL as exc:
        return Result(name, False, str(exc))
    parts = urlsplit(url)
    host, https = parts.hostname or "", parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        async with asyncio.timeout(r.timeout):
            await _connect(host, port, ssl.create_default_context() if https else None, r.allow_private)
    except (OSError, TimeoutError, BlockedURL) as exc:
        return Result(name, False, f"{parts.scheme}://{host}:{port}: {type(exc).__name__}: {exc}"[:300])
    return Result(name, True, f"{parts.scheme}://{host}:{port}: connected{' (TLS)' if https else ''}")


async def _email_receiver(r: EmailReceiver) -> Result:
    name = f"receiver {r.name}"
    channel = EmailChannel(r, "localhost")
    smtp = aiosmtplib.SMTP(
        hostname=channel.host,
        port=channel.port,
        use_tls=r.tls == "implicit",
        start_tls=r.tls == "starttls",
        tls_context=channel.tls_context() if r.tls != "none" else None,
        timeout=r.timeout,
    )
    where = f"smtp://{channel.host}:{channel.port}"
    try:
        await smtp.connect()
        if smtp.last_ehlo_response is None:
            await smtp.ehlo()
        auth = smtp.supports_extension("auth")
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        return Result(name, False, f"{where}: {type(exc).__name__}: {exc}"[:300])
    if r.username and not auth:
        return Result(name, False, f"{where}: the server offers no AUTH but a username is configured")
    return Result(name, True, f"{where}: EHLO answered ({r.tls})")


def _receiver(r: Receiver) -> Awaitable[Result]:
    url = checks.receiver_url(r)
    if url is not None:
        return _http_receiver(r, url)
    if isinstance(r, EmailReceiver):
        return _email_receiver(r)
    assert isinstance(r, LogReceiver)

    async def log_ok() -> Result:
        return Result(f"receiver {r.name}", True, "writes to the log")

    return log_ok()


def _rules(settings: Settings) -> Result:
    namespaces = rule_namespaces()
    problems = checks.missing_rule_files(settings.alerts) + checks.rule_problems(settings.alerts, namespaces)
    if problems:
        more = f" (+{len(problems) - 1} more: `tronwatch config check`)" if len(problems) > 1 else ""
        return Result("rule files", False, problems[0] + more)
    rules = checks.load_configured(settings.alerts, namespaces)
    return Result("rule files", True, f"{len(rules.rules)} rules in {len(rules.files)} files")


async def doctor(settings: Settings) -> int:
    """Run every check, print one line each; 0 when all pass, 1 otherwise."""
    results = [await _database(settings), *await _tron(settings)]
    results += await asyncio.gather(*(_receiver(r) for r in settings.alerts.receivers))
    results.append(_rules(settings))
    for result in results:
        print(result.line(), flush=True)
    return 0 if all(r.ok for r in results) else 1
