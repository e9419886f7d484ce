"""`apprise`: one plain-text message to every Apprise URL (docs/partner-rules-and-export.md)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import apprise

from daemon.alerts.channels.base import Outcome, Sessions
from daemon.alerts.channels.text import body, title
from daemon.alerts.settings import AppriseReceiver
from daemon.alerts.ssrf import public

ALERTS_PER_MESSAGE = 10
BODY_MAX = 4000  # Telegram's cap is 4096 characters, Discord's 2000 (Apprise splits or truncates the rest)
# Generic HTTP targets: the host is the operator's, so it passes the SSRF guard (the others: the docs file).
GUARDED = {"json", "jsons", "form", "forms", "xml", "xmls"}


def schema(url: str) -> str:
    """The URL's scheme, lower case ('' when there is none)."""
    head, sep, _ = url.partition("://")
    return head.lower() if sep else ""


async def ssrf_problem(url: str, *, allow_private: bool) -> str | None:
    """Why a generic json/form/xml URL may not be called (None: allowed or not a generic target)."""
    if schema(url) not in GUARDED or allow_private:
        return None
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None or not plugin.host:
        return None  # reported by add() as an unknown URL
    if not plugin.secure:
        return f"{schema(url)}:// is plain http: use {schema(url).rstrip('s')}s:// (or allow_private: true)"
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            plugin.host, plugin.port or 443, type=socket.SOCK_STREAM
        )
    except OSError as exc:
        return f"{plugin.host} does not resolve: {exc.strerror or exc}"
    if not infos or any(not public(str(info[4][0])) for info in infos):
        return f"{plugin.host} resolves to a non-public address"
    return None


def message(payloads: list[dict[str, Any]], language: str) -> tuple[str, str]:
    """Title and plain-text body; Apprise escapes the text for each target's own markup."""
    shown = payloads[:ALERTS_PER_MESSAGE]
    head = title(shown[0], language)
    if len(payloads) > 1:
        head = f"{len(payloads)} alerts: {head}"
    parts = [f"{title(p, language)}\n{body(p, language)}" for p in shown]
    if len(payloads) > len(shown):
        parts.append(f"+{len(payloads) - len(shown)} more")
    return head, "\n\n".join(parts)[:BODY_MAX]


class AppriseChannel:
    """Apprise's own delivery (its async API); the outbox does the retries, so Apprise retries none."""

    max_batch = ALERTS_PER_MESSAGE

    def __init__(self, receiver: AppriseReceiver) -> None:
        self.receiver = receiver
        self.rate_key = f"apprise:{receiver.name}"
        self.url = f"apprise://{receiver.name}"  # what the log shows: never the service URLs (tokens)

    async def send(self, rows: list[dict[str, Any]], sessions: Sessions) -> Outcome:
        """Notify every URL; all delivered is sent, a bad URL is permanent, anything else retries."""
        return await self.notify(*message([r["payload"] for r in rows], self.receiver.language))

    async def notify(self, head: str, text: str) -> Outcome:
        """Send one title and body (also used by `receivers test`)."""
        sender = apprise.Apprise()
        for i, secret in enumerate(self.receiver.urls, 1):
            url = secret.get_secret_value()
            problem = await ssrf_problem(url, allow_private=self.receiver.allow_private)
            if problem is not None:
                return Outcome("permanent", None, f"url {i}: {problem}")
            if not sender.add(url):
                return Outcome(
                    "permanent", None, f"url {i} ({schema(url) or '?'}://) is not a URL Apprise knows"
                )
        try:
            async with asyncio.timeout(self.receiver.timeout + 5):
                result = await sender.async_notify(
                    body=text,
                    title=head,
                    body_format=apprise.NotifyFormat.TEXT,
                    timeout=self.receiver.timeout,
                )
        except TimeoutError:
            return Outcome("retry", None, f"timed out after {self.receiver.timeout:g} s")
        if result:
            return Outcome("sent")
        failed = [r.name for r in result.results if not r]
        # Every URL is sent again on the retry: a service that got it already sees it twice (at-least-once).
        return Outcome(
            "retry", None, f"{len(failed)} of {len(self.receiver.urls)} failed: {', '.join(failed)}"
        )
