"""Pieces of an alert's payload: RFC 3339 times and the generator URL."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from daemon.alerts.settings import AlertsSettings

NEVER = "0001-01-01T00:00:00Z"  # Alertmanager's "no end" for a firing alert


def iso(ts: float) -> str:
    """Epoch seconds as RFC 3339 UTC."""
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def generator_url(settings: AlertsSettings, alertname: str, fingerprint: str) -> str:
    """The alert's link: the configured template filled in, else the public status page."""
    template = settings.generator_url
    if template is None:
        return f"{settings.external_url.rstrip('/')}/status"
    # Plain replacement, never str.format: the template is operator text.
    values = {
        "{alertname}": quote(alertname),
        "{fingerprint}": fingerprint,
        "{external_url}": settings.external_url.rstrip("/"),
    }
    for key, value in values.items():
        template = template.replace(key, value)
    return template
