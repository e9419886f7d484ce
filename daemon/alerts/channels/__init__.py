"""Receiver types: slack, email, webhook, alertmanager, apprise and log."""

from __future__ import annotations

from daemon.alerts.channels.alertmanager import AlertmanagerChannel
from daemon.alerts.channels.apprise import AppriseChannel
from daemon.alerts.channels.base import Channel, Outcome, Sessions
from daemon.alerts.channels.email import EmailChannel
from daemon.alerts.channels.log import LogChannel
from daemon.alerts.channels.slack import SlackChannel
from daemon.alerts.channels.webhook import WebhookChannel
from daemon.alerts.settings import (
    AlertmanagerReceiver,
    AlertsSettings,
    AppriseReceiver,
    EmailReceiver,
    LogReceiver,
    Receiver,
    SlackReceiver,
    WebhookReceiver,
)

__all__ = ["Channel", "Outcome", "Sessions", "channel_for"]


def channel_for(receiver: Receiver, settings: AlertsSettings) -> Channel:
    """The channel that delivers to this receiver."""
    external_url = settings.external_url
    if isinstance(receiver, SlackReceiver):
        return SlackChannel(receiver)
    if isinstance(receiver, WebhookReceiver):
        return WebhookChannel(receiver, external_url)
    if isinstance(receiver, AlertmanagerReceiver):
        return AlertmanagerChannel(receiver)
    if isinstance(receiver, EmailReceiver):
        return EmailChannel(receiver, settings.message_domain())
    if isinstance(receiver, AppriseReceiver):
        return AppriseChannel(receiver)
    assert isinstance(receiver, LogReceiver)
    return LogChannel(receiver)
