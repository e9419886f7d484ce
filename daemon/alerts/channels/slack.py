"""`slack`: incoming webhook, Block Kit + text fallback; a burst is one message.

Values and partner text are escaped (docs/ssrf-and-escaping.md), and section text is `verbatim`, so
Slack does not turn names, bare URLs or mentions in them into links or notifications.
"""

from __future__ import annotations

import json
from typing import Any

from daemon.alerts.channels.base import Outcome, Sessions, post
from daemon.alerts.channels.text import WORDS, body, members, title
from daemon.alerts.settings import SlackReceiver

SECTION_MAX = 3000  # characters in one section block
TEXT_MAX = 40_000  # Slack truncates `text` here
ALERTS_PER_MESSAGE = 10  # 1 header-ish section + context each: far below the 50-block cap


GROUP_ALERTS = 40  # a group's message: a header, up to 40 alert sections and an "and N more" line (<50)


def group_message(payload: dict[str, Any], language: str) -> dict[str, Any]:
    """One message for one aggregation group: its title, then each alert, truncated with "and N more"."""
    alerts = members(payload)
    head = title(payload, language)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{head}*"[:SECTION_MAX]}}
    ]
    for p in alerts[:GROUP_ALERTS]:
        text = f"*{title(p, language)}*\n{body(p, language)}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_MAX]}})
    extra = len(alerts) - GROUP_ALERTS
    if extra > 0:
        word = "and {} more" if language == "en" else "외 {}건"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": word.format(extra)}]})
    fallback = "\n".join([head] + [title(p, language) for p in alerts])[:TEXT_MAX]
    return {"text": fallback, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def message(payloads: list[dict[str, Any]], language: str) -> dict[str, Any]:
    """The webhook body: one section per alert, and a `text` fallback for notifications."""
    if len(payloads) == 1 and "alerts" in payloads[0]:
        return group_message(payloads[0], language)
    blocks: list[dict[str, Any]] = []
    for p in payloads[:ALERTS_PER_MESSAGE]:
        text = f"*{title(p, language, slack=True)}*\n{body(p, language, slack=True)}"
        section = {"type": "mrkdwn", "text": _cut(text, SECTION_MAX), "verbatim": True}
        blocks.append({"type": "section", "text": section})
    extra = len(payloads) - ALERTS_PER_MESSAGE
    if extra > 0:
        more = WORDS.get(language, WORDS["en"])["more"]
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"+{extra} {more}"}]})
    fallback = _cut("\n".join(title(p, language, slack=True) for p in payloads), TEXT_MAX)
    return {"text": fallback, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, never ending inside an entity (`&lt;` cut to `&l` would show)."""
    if len(text) <= limit:
        return text
    text = text[:limit]
    amp = text.rfind("&", max(0, limit - 5))
    return text[:amp] if amp != -1 and ";" not in text[amp:] else text


class SlackChannel:
    """Batches what is due for one webhook into one message (Slack allows about one a second)."""

    max_batch = ALERTS_PER_MESSAGE

    def __init__(self, receiver: SlackReceiver) -> None:
        self.receiver = receiver
        self.url = receiver.url.get_secret_value()
        self.rate_key = self.url

    async def send(self, rows: list[dict[str, Any]], sessions: Sessions) -> Outcome:
        """POST; Slack answers a plain `ok`."""
        doc = message([r["payload"] for r in rows], self.receiver.language)
        return await post(
            sessions,
            self.url,
            allow_private=self.receiver.allow_private,
            seconds=self.receiver.timeout,
            body=json.dumps(doc).encode(),
            headers={},
            success_text="ok",
        )
