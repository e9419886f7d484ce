"""Send a test notification to one receiver: `tronwatch receivers test NAME -c FILE` and the admin route."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import aiohttp
from aiohttp import web
from pydantic import BaseModel

from daemon.alerts.channels import Outcome, Sessions, channel_for
from daemon.alerts.context import alerts_state
from daemon.alerts.settings import AlertsSettings
from daemon.alerts.ssrf import GuardedResolver
from daemon.errors import NotFound
from daemon.http.endpoints import Endpoint, json_response

NEVER = "0001-01-01T00:00:00Z"


class ReceiverTestResult(BaseModel):
    """What the receiver answered to a test notification."""

    receiver: str
    type: str
    outcome: Literal["delivered", "failed"]
    error: str | None
    http_status: int | None


def test_row(name: str, now: datetime) -> dict[str, Any]:
    """A firing `TronwatchTestNotification` row, as the outbox would hand it to a channel."""
    at = now.isoformat().replace("+00:00", "Z")
    payload = {
        "reason": "firing",
        "validUntil": at,
        "status": "firing",
        "labels": {"alertname": "TronwatchTestNotification", "severity": "info"},
        "annotations": {"summary": f"Test notification from tronwatch to receiver {name}"},
        "startsAt": at,
        "endsAt": NEVER,
        "generatorURL": "",
        "fingerprint": "test",
        "value": None,
    }
    return {
        "id": 0,
        "notification_id": f"test:{uuid.uuid4().hex}",
        "receiver": name,
        "alertname": "TronwatchTestNotification",
        "fingerprint": "test",
        "status": "firing",
        "payload": payload,
        "created_at": now,
        "attempts": 1,
    }


async def send_test(settings: AlertsSettings, name: str, sessions: Sessions) -> ReceiverTestResult:
    """Deliver one test notification now (no outbox: the answer is the point); KeyError if unknown."""
    receiver = settings.receiver(name)
    if receiver is None:
        raise KeyError(name)
    channel = channel_for(receiver, settings)
    try:
        outcome = await channel.send([test_row(name, datetime.now(UTC))], sessions)
    except Exception as exc:  # a channel bug is still an answer to report, not a crash of the command
        outcome = Outcome("permanent", None, f"{type(exc).__name__}: {exc}"[:200])
    ok = outcome.kind == "sent"
    return ReceiverTestResult(
        receiver=name,
        type=receiver.type,
        outcome="delivered" if ok else "failed",
        error=None if ok else outcome.error or f"HTTP {outcome.status}",
        http_status=outcome.status,
    )


async def receiver_test_route(request: web.Request) -> web.Response:
    """POST /api/v1/admin/receivers/{name}/test: send a test notification, report the outcome."""
    state = request.app[alerts_state]
    name = request.match_info["name"]
    if state.sender is None or state.settings.receiver(name) is None:
        raise NotFound(f"no receiver named {name!r} in the config")
    return json_response(await send_test(state.settings, name, state.sender.sessions))


def receiver_test_endpoints() -> list[Endpoint]:
    """The admin test route."""
    return [
        Endpoint(
            "POST",
            "/api/v1/admin/receivers/{name}/test",
            receiver_test_route,
            "admin",
            "Send a test notification to a configured receiver and report what it answered",
            "alerts",
            response=ReceiverTestResult,
            errors=(404,),
        )
    ]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tronwatch receivers test NAME -c FILE`."""
    receivers = subparsers.add_parser("receivers", help="alert receivers: send a test notification")
    sub = receivers.add_subparsers(dest="receivers_command", required=True, metavar="ACTION")
    test = sub.add_parser("test", help="send a test notification to one receiver and report the outcome")
    test.add_argument("name", metavar="NAME", help="the receiver's name in alerts.receivers")
    test.add_argument("-c", "--config", type=Path, metavar="CONFIG", required=True)
    test.set_defaults(handler=test_command)


def test_command(args: argparse.Namespace) -> int:
    """0 when delivered; the error on stderr otherwise."""
    settings: AlertsSettings = args.alerts  # loaded by the top-level cli from -c
    if settings.receiver(args.name) is None:
        names = ", ".join(r.name for r in settings.receivers)
        print(f"FAILED: no receiver named {args.name!r} (configured: {names})", file=sys.stderr)
        return 1
    result = asyncio.run(_run(settings, args.name))
    if result.outcome == "delivered":
        print(f"delivered: {result.receiver} ({result.type})")
        return 0
    print(f"FAILED: {result.receiver} ({result.type}): {result.error}", file=sys.stderr)
    return 1


async def _run(settings: AlertsSettings, name: str) -> ReceiverTestResult:
    guarded = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(resolver=GuardedResolver()), trust_env=False
    )
    private = aiohttp.ClientSession(trust_env=False)
    try:
        return await send_test(settings, name, Sessions(guarded, private))
    finally:
        await guarded.close()
        await private.close()
