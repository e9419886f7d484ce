"""What `config check` adds to validation: the rule files as `run` loads them, and receiver URLs."""

from __future__ import annotations

from collections.abc import Mapping

from daemon.alerts.namespaces import Namespace, fields_of, per_instance_of
from daemon.alerts.rules import RuleError, RuleSet, load_rules
from daemon.alerts.settings import (
    AlertmanagerReceiver,
    AlertsSettings,
    EmailReceiver,
    Receiver,
    SlackReceiver,
    WebhookReceiver,
    secret_problem,
)
from daemon.alerts.ssrf import BlockedURL, check_url


def load_configured(settings: AlertsSettings, namespaces: Mapping[str, Namespace]) -> RuleSet:
    """The configured rule files against these namespaces (every producer's) and the configured receivers."""
    return load_rules(
        settings.rule_files,
        fields_of(namespaces),
        per_instance=per_instance_of(namespaces),
        receivers={r.name for r in settings.receivers},
        default_receivers=settings.default_receivers,
        default_interval=settings.evaluation_interval,
    )


def missing_rule_files(settings: AlertsSettings) -> list[str]:
    """Configured rule files or directories that do not exist."""
    return [
        f"alerts.rule_files: {p}: no such file or directory" for p in settings.rule_files if not p.exists()
    ]


def rule_problems(settings: AlertsSettings, namespaces: Mapping[str, Namespace]) -> list[str]:
    """Every problem of the existing rule files, each line naming its file."""
    present = settings.model_copy(update={"rule_files": [p for p in settings.rule_files if p.exists()]})
    try:
        load_configured(present, namespaces)
    except RuleError as exc:
        return exc.problems
    return []


def receiver_url(receiver: Receiver) -> str | None:
    """The URL a receiver's notifications are POSTed to (None for email and log)."""
    if isinstance(receiver, SlackReceiver | WebhookReceiver):
        return receiver.url.get_secret_value()
    if isinstance(receiver, AlertmanagerReceiver):
        return receiver.url.get_secret_value().rstrip("/") + "/api/v2/alerts"
    return None


def receiver_problems(settings: AlertsSettings) -> list[str]:
    """Receivers whose first notification would fail however the far end behaves."""
    out = []
    for r in settings.receivers:
        where = f"alerts.receivers.{r.name}"
        url = receiver_url(r)
        if url is not None:
            try:
                check_url(url, allow_private=r.allow_private)
            except BlockedURL as exc:
                out.append(f"{where}: url: {exc}")
        if isinstance(r, WebhookReceiver) and r.secret is not None:
            problem = secret_problem(r.secret.get_secret_value())
            if problem:
                out.append(f"{where}: secret: {problem}")
        if isinstance(r, EmailReceiver):
            host, sep, port = r.smarthost.rpartition(":")
            if sep and (not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536):
                out.append(f"{where}: smarthost: must be host:port (e.g. smtp.example.com:587)")
    return out


def problems(settings: AlertsSettings, source: str, namespaces: Mapping[str, Namespace]) -> list[str]:
    """Rule files and receivers, every problem at once; config-file problems prefixed with `source`."""
    own = [f"{source}: {line}" for line in missing_rule_files(settings) + receiver_problems(settings)]
    return own + rule_problems(settings, namespaces)
