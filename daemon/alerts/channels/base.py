"""What a channel returns, and how HTTP answers map to sent / retry / permanent."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import aiohttp

from daemon.alerts.ssrf import BlockedURL, check_url, redact

Kind = Literal["sent", "retry", "permanent"]
MAX_BODY = 64 * 1024  # receivers' answers are read only this far


@dataclass(frozen=True)
class Outcome:
    """One delivery attempt's result; `retry_after` from a 429 (or 503) in seconds."""

    kind: Kind
    status: int | None = None
    error: str = ""
    retry_after: float | None = None


class Channel(Protocol):
    """A receiver type: sends up to `max_batch` notifications in one go."""

    max_batch: int
    rate_key: str

    async def send(self, rows: list[dict[str, Any]], sessions: Sessions) -> Outcome:
        """Deliver these rows (all for this receiver)."""
        ...


@dataclass
class Sessions:
    """Two HTTP sessions: one behind the SSRF resolver, one for receivers marked allow_private."""

    guarded: aiohttp.ClientSession
    private: aiohttp.ClientSession

    def pick(self, allow_private: bool) -> aiohttp.ClientSession:
        """The session for a receiver."""
        return self.private if allow_private else self.guarded


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as delta-seconds or an HTTP-date, in seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


async def post(
    sessions: Sessions,
    url: str,
    *,
    allow_private: bool,
    seconds: float,
    body: bytes,
    headers: Mapping[str, str],
    success_text: str | None = None,
) -> Outcome:
    """POST and classify: 2xx sent; 429/408/425/5xx and network errors retry; other 4xx permanent."""
    try:
        check_url(url, allow_private=allow_private)
    except BlockedURL as exc:
        return Outcome("permanent", None, str(exc))
    session = sessions.pick(allow_private)
    try:
        async with session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", **headers},
            timeout=aiohttp.ClientTimeout(total=seconds),
            allow_redirects=False,
        ) as resp:
            text = (await resp.content.read(MAX_BODY)).decode("utf-8", "replace")
            status = resp.status
            wait = retry_after(resp.headers.get("Retry-After"))
    except BlockedURL as exc:
        return Outcome("permanent", None, str(exc))
    except aiohttp.InvalidURL as exc:  # the client refuses this URL every time: retrying cannot help
        return Outcome("permanent", None, f"invalid URL: {redact(str(exc.url))}")
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return Outcome("retry", None, f"{type(exc).__name__}: {exc}"[:200])
    if 200 <= status < 300:
        if success_text is not None and text.strip() not in (success_text, ""):
            return Outcome("permanent", status, f"unexpected answer: {text[:200]}")
        return Outcome("sent", status)
    if status == 429:
        return Outcome("retry", status, "rate limited", wait if wait is not None else 1.0)
    if status in (408, 425) or status >= 500:
        return Outcome("retry", status, f"HTTP {status}: {text[:200]}", wait if status == 503 else None)
    return Outcome("permanent", status, f"HTTP {status}: {text[:200]}")
