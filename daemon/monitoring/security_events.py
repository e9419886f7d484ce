"""Security event types, severities, redaction and dedup identity."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

Severity = Literal["low", "medium", "high", "critical"]
SEVERE: frozenset[str] = frozenset({"high", "critical"})
SEVERITY: dict[str, Severity] = {
    "SQL_INJECTION": "high",
    "XSS": "high",
    "PATH_TRAVERSAL": "high",
    "MULTIPLE_FAILED_AUTH": "high",
    "UNAUTHORIZED_ACCESS": "medium",
    "AUTH_FAILED": "low",
    "RATE_LIMIT_EXCEEDED": "low",
}
TYPES = tuple(SEVERITY)
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
