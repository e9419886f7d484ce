"""Acknowledgements: signed one-click links, and which alerts are acknowledged in their current episode."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

from daemon.alerts import ack_repo
from daemon.alerts.settings import AlertsSettings
from daemon.alerts.state import Instance
from daemon.db.types import Connection
from daemon.errors import Forbidden, ProblemError

TOKEN = re.compile(r"^([0-9a-f]{16})\.([0-9]{1,20})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")
FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")


class LinkExpired(ProblemError):
    """A genuine ack link past its expiry."""

    status = 410
    title = "Gone"


def episode(fired_at: float | None) -> int | None:
    """The firing episode's id (as in notification ids): microseconds of its fired_at."""
    return None if fired_at is None else round(fired_at * 1_000_000)


def _mac(secret: str, fingerprint: str, ep: int, expires: int) -> str:
    msg = f"tronwatch-ack-v1.{fingerprint}.{ep}.{expires}".encode()
    digest = hmac.new(secret.encode(), msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(secret: str, fingerprint: str, ep: int, expires: int) -> str:
    """A token bound to one alert, one episode and an expiry (epoch seconds)."""
    return f"{fingerprint}.{ep}.{expires}.{_mac(secret, fingerprint, ep, expires)}"


def check_token(secret: str, token: str, now: float) -> tuple[str, int]:
    """(fingerprint, episode) of a valid token; 403 when forged or malformed, 410 when expired."""
    m = TOKEN.match(token)
    if m is None:
        raise Forbidden("this acknowledge link is not valid")
    fp, ep, expires, mac = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
    if not hmac.compare_digest(mac, _mac(secret, fp, ep, expires)):
        raise Forbidden("this acknowledge link is not valid")
    if now >= expires:
        raise LinkExpired("this acknowledge link has expired; acknowledge in the admin API instead")
    return fp, ep


def current_ack(inst: Instance | dict[str, Any], acks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The ack (if any) of this instance's current firing episode."""
    fired_at = inst.fired_at if isinstance(inst, Instance) else inst["fired_at"]
    fp = inst.fingerprint if isinstance(inst, Instance) else inst["fingerprint"]
    ep = episode(fired_at)
    return next((a for a in acks if a["fingerprint"] == fp and a["episode"] == ep), None)


async def apply(conn: Connection, instances: dict[str, Instance]) -> dict[str, dict[str, Any]]:
    """Set `acked` on each firing instance from the database; returns fingerprint -> its ack."""
    firing = [i for i in instances.values() if i.state == "firing"]
    acks = await ack_repo.current(conn, [i.fingerprint for i in firing])
    out = {}
    for inst in instances.values():
        found = current_ack(inst, acks) if inst.state == "firing" else None
        inst.acked = found is not None
        if found is not None:
            out[inst.fingerprint] = found
    return out


def fields(
    settings: AlertsSettings, fp: str, found: dict[str, Any] | None, status: str, ep: int, now: float
) -> dict[str, Any]:
    """Payload fields: who acknowledged the episode, or (firing, links on) a signed link to acknowledge it."""
    if found is not None and found["episode"] == ep:
        return {
            "acknowledged_by": found["acked_by"],
            "acknowledged_at": found["acked_at"].isoformat(),
            "ack_comment": found["comment"],
        }
    secret = settings.ack_link_secret
    if status != "firing" or secret is None:
        return {}
    token = make_token(secret.get_secret_value(), fp, ep, int(now + settings.ack_link_ttl))
    return {"ack_url": f"{settings.external_url.rstrip('/')}/alerts/ack/{token}"}
