"""Security event types and severities, redaction, dedup identity, their metrics and `security.*` values."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

from prometheus_client import CollectorRegistry, Counter

from daemon.alerts.namespaces import NUM, Namespace
from daemon.db.types import Record

Severity = Literal["low", "medium", "high", "critical"]
SEVERE: frozenset[str] = frozenset({"high", "critical"})
SEVERITY: dict[str, Severity] = {
    "SQL_INJECTION": "high",
    "XSS": "high",
    "PATH_TRAVERSAL": "high",
    "MULTIPLE_FAILED_AUTH": "high",
    "UNAUTHORIZED_ACCESS": "high",  # the issue names it among the severe events
    "AUTH_FAILED": "low",
    "RATE_LIMIT_EXCEEDED": "low",
}
TYPES = tuple(SEVERITY)
SECURITY = Namespace(
    "security",
    {
        "events_last_5m": NUM,
        "severe_last_5m": NUM,
        "failed_auth_last_5m": NUM,
        "blocked_ips": NUM,
        "sql_injection_last_5m": NUM,
        "xss_last_5m": NUM,
        "path_traversal_last_5m": NUM,
        "multiple_failed_auth_last_5m": NUM,
        "unauthorized_access_last_5m": NUM,
        "rate_limit_exceeded_last_5m": NUM,
    },
    doc="security events of every replica over the last five minutes",
)
EventType = Literal[
    "SQL_INJECTION",
    "XSS",
    "PATH_TRAVERSAL",
    "MULTIPLE_FAILED_AUTH",
    "UNAUTHORIZED_ACCESS",
    "AUTH_FAILED",
    "RATE_LIMIT_EXCEEDED",
]

_SECRETS = re.compile(r"tw_[A-Za-z0-9_-]{4,}|\b[0-9a-fA-F]{64}\b|(?i:bearer)\s+\S+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
EXCERPT_CHARS = 200


def redact(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Text safe to store and show: no API keys or private-key-like hex, no control characters, bounded."""
    text = text[: limit * 2].encode("utf-8", "replace").decode("utf-8")
    text = _CONTROL.sub("?", _SECRETS.sub("[redacted]", text))
    return text[:limit]


def dedup_hash(type: str, *parts: Any) -> bytes:
    """The event's identity within a day: same type, client, partner, route and location count as one."""
    return hashlib.sha256("\x1f".join([type, *map(str, parts)]).encode("utf-8", "replace")).digest()


class SecurityMetrics:
    """`tronwatch_security_events_total{type,severity}` and `tronwatch_rate_limited_total{action}`."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter(
            "tronwatch_security_events", "Security events seen", ["type", "severity"], registry=registry
        )
        self.rate_limited = Counter(
            "tronwatch_rate_limited",
            "Requests refused by a rate limit or an IP block",
            ["action"],
            registry=registry,
        )
        for t in TYPES:
            self.events.labels(t, SEVERITY[t])


def figures(counts: list[Record], blocked: int) -> dict[str, Any]:
    """`security.*` values from (type, severity, n) rows of the last five minutes."""
    by_type = dict.fromkeys(TYPES, 0)
    total = severe = 0
    for row in counts:
        n = int(row["n"])
        by_type[row["type"]] = by_type.get(row["type"], 0) + n
        total += n
        severe += n if row["severity"] in SEVERE else 0
    values: dict[str, Any] = {
        "events_last_5m": total,
        "severe_last_5m": severe,
        "failed_auth_last_5m": by_type["AUTH_FAILED"],
        "blocked_ips": blocked,
    }
    values |= {f"{t.lower()}_last_5m": by_type[t] for t in TYPES if t != "AUTH_FAILED"}
    return values
